"""The probes a candidate serves for its whole life: /healthz always, /readyz when ready.

kopf's own liveness endpoint exists only while kopf runs, i.e. only on the leader; a candidate's
/readyz answers once its election reached the apiserver.
"""

from __future__ import annotations

from types import SimpleNamespace

import httpx

from pagerduty_devenv.processes import free_port
from pagerduty_operator.runtime.leader_runner import serve_probes


async def test_healthz_always_readyz_once_the_election_reached_the_apiserver() -> None:
    elector = SimpleNamespace(contacted=False)
    port = free_port()
    runner = await serve_probes(f"127.0.0.1:{port}", elector)  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 503
            elector.contacted = True
            assert (await http.get("/readyz")).status_code == 200
            assert (await http.get("/metrics")).status_code == 404  # served elsewhere
    finally:
        await runner.cleanup()
