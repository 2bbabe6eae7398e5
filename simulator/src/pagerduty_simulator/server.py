"""The simulator server: two origins (US and EU) sharing one state, in-process or in a thread."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from types import TracebackType
from typing import cast

from aiohttp import web

from pagerduty_simulator.admin import add_admin_routes, reset_state
from pagerduty_simulator.appkeys import REGION, STATE
from pagerduty_simulator.config import SimulatorConfig
from pagerduty_simulator.deliveries import DeliveryService
from pagerduty_simulator.events import change_enqueue, enqueue
from pagerduty_simulator.middleware import simulator_middleware
from pagerduty_simulator.models import Region
from pagerduty_simulator.oauth import token_endpoint
from pagerduty_simulator.rest import (
    account,
    escalation_policies,
    incidents,
    orchestrations,
    service_writes,
    services,
    webhooks,
)
from pagerduty_simulator.rest.context import Endpoint, rest_handler
from pagerduty_simulator.state import SimulatorState

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_SECONDS = 0.5
MAX_BODY_BYTES = 2 * 1024 * 1024
REST_ENDPOINTS: list[Endpoint] = [
    *account.ENDPOINTS,
    *incidents.ENDPOINTS,
    *webhooks.ENDPOINTS,
    *services.ENDPOINTS,
    *service_writes.ENDPOINTS,
    *escalation_policies.ENDPOINTS,
    *orchestrations.ENDPOINTS,
]


def build_app(state: SimulatorState, region: Region) -> web.Application:
    """One origin: REST API, OAuth token endpoint, Events API v2 and the admin API."""
    app = web.Application(middlewares=[simulator_middleware], client_max_size=MAX_BODY_BYTES)
    app[STATE] = state
    app[REGION] = region
    for endpoint in REST_ENDPOINTS:
        app.router.add_route(endpoint.method, endpoint.path, rest_handler(endpoint))
    app.router.add_post("/oauth/token", token_endpoint)
    app.router.add_post("/v2/enqueue", enqueue)
    app.router.add_post("/v2/change/enqueue", change_enqueue)
    add_admin_routes(app)
    return app


def _client_host(host: str) -> str:
    if host in {"", "0.0.0.0"}:
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class SimulatorServer:
    """A running simulator: `async with SimulatorServer(config) as sim: sim.us_url ...`."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = dataclasses.replace(config) if config is not None else SimulatorConfig()
        self.state = SimulatorState(self.config)
        self._runners: list[web.AppRunner] = []
        self._ports: dict[Region, int] = {}

    @property
    def us_url(self) -> str:
        return self._url("us")

    @property
    def eu_url(self) -> str:
        return self._url("eu")

    @property
    def ports(self) -> dict[str, int]:
        """The bound ports, `{"us": ..., "eu": ...}`."""
        return {str(region): port for region, port in self._ports.items()}

    def _url(self, region: Region) -> str:
        if region not in self._ports:
            raise RuntimeError("the simulator is not running")
        return f"http://{_client_host(self.config.host)}:{self._ports[region]}"

    async def start(self) -> None:
        """Seed the state, start the delivery worker and listen on both origins."""
        await reset_state(self.state)
        deliveries = DeliveryService(self.state)
        await deliveries.start()
        self.state.deliveries = deliveries
        try:
            for region, port in (("us", self.config.port), ("eu", self.config.eu_port)):
                region = cast(Region, region)
                runner = web.AppRunner(
                    build_app(self.state, region),
                    access_log=None,
                    shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
                )
                await runner.setup()
                self._runners.append(runner)
                site = web.TCPSite(runner, self.config.host, port)
                await site.start()
                server = site._server  # the only way to learn an ephemeral port
                assert isinstance(server, asyncio.base_events.Server)
                self._ports[region] = int(server.sockets[0].getsockname()[1])
                self.state.origins[region] = self._url(region)
        except BaseException:
            await self.stop()
            raise
        log.info("PagerDuty simulator listening: us=%s eu=%s", self.us_url, self.eu_url)

    async def stop(self) -> None:
        """Stop listening and cancel pending deliveries."""
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        self._ports.clear()
        if self.state.deliveries is not None:
            await self.state.deliveries.stop()
            self.state.deliveries = None

    async def __aenter__(self) -> SimulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> SimulatorHandle:
        """Run this server on its own event loop in a daemon thread."""
        handle = SimulatorHandle(self)
        handle.start(timeout)
        return handle


class SimulatorHandle:
    """A simulator running in a background thread; use the admin API, not `state`, to inspect it."""

    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="pagerduty-simulator", daemon=True)
        self._started = threading.Event()
        self._stop_requested: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def us_url(self) -> str:
        return self.server.us_url

    @property
    def eu_url(self) -> str:
        return self.server.eu_url

    @property
    def state(self) -> SimulatorState:
        return self.server.state

    def start(self, timeout: float) -> None:
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("the simulator did not start in time")
        if self._error is not None:
            raise RuntimeError("the simulator failed to start") from self._error

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop_requested = asyncio.Event()
        try:
            await self.server.start()
        except BaseException as error:
            self._error = error
            self._started.set()
            return
        self._started.set()
        try:
            await self._stop_requested.wait()
        finally:
            await self.server.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and wait for its thread to end."""
        stop_requested = self._stop_requested
        if stop_requested is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(stop_requested.set)
        self._thread.join(timeout)
