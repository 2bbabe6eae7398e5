"""Webhook v3 deliveries: signed POSTs, retries, drops and temporary disablement.

Each subscription has one queue and one worker, so webhooks go out in generation order.

A webhook is retried on a timeout, a connection failure, 429 or 5xx, waiting the configured
delays on the simulator clock (so a test can advance through them); any other answer that is
not 2xx drops it at once. After `drops_before_disable` consecutive drops the subscription is
temporarily disabled: its queue is discarded and new webhooks are discarded until it is enabled.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pagerduty_simulator import ids
from pagerduty_simulator.models import Account, WebhookSubscription

if TYPE_CHECKING:
    import httpx

    from pagerduty_simulator.state import SimulatorState

log = logging.getLogger(__name__)

USER_AGENT = "PagerDuty-Webhook/V3.0"
MAX_RECORDS = 10_000


def signature(secret: str, body: bytes) -> str:
    """The `X-PagerDuty-Signature` value: `v1=` + hex HMAC-SHA256 of the raw body."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class DeliveryAttempt:
    at: str
    status: int | None
    error: str | None


@dataclass
class Delivery:
    """One webhook (one event for one subscription) and what happened to it."""

    webhook_id: str
    account: str
    subscription_id: str
    event_id: str
    event_type: str
    body: bytes = field(repr=False)
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    outcome: str = "pending"
    """pending, delivered, dropped, or discarded (subscription deleted or disabled)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "account": self.account,
            "subscription_id": self.subscription_id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "outcome": self.outcome,
            "attempts": [attempt.__dict__ for attempt in self.attempts],
            "payload": json.loads(self.body),
        }


class DeliveryService:
    """Sends webhooks in generation order per subscription."""

    def __init__(self, state: SimulatorState) -> None:
        self._state = state
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._client: httpx.AsyncClient | None = None
        self._pending = 0
        self.records: deque[Delivery] = deque(maxlen=MAX_RECORDS)

    async def start(self) -> None:
        """Nothing to do until the first webhook: httpx is imported then (fast startup)."""

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._client

    async def stop(self) -> None:
        await self.cancel_all()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def cancel_all(self) -> None:
        """Stop every worker and forget every queue (a simulator reset)."""
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        self._queues.clear()
        self._pending = 0

    def clear_records(self) -> None:
        self.records.clear()

    def enqueue(
        self, account: Account, subscription: WebhookSubscription, envelope: Any
    ) -> Delivery:
        """Queue one webhook for a subscription (discarded at once if it is disabled)."""
        event = envelope.get("event", {}) if isinstance(envelope, dict) else {}
        delivery = Delivery(
            webhook_id=ids.uuid_str(),
            account=account.subdomain,
            subscription_id=subscription.id,
            event_id=str(event.get("id", "")),
            event_type=str(event.get("event_type", "")),
            body=json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode(),
        )
        self.records.append(delivery)
        if subscription.temporarily_disabled:
            delivery.outcome = "discarded"
            return delivery
        queue = self._queues.get(subscription.id)
        if queue is None:
            queue = self._queues[subscription.id] = asyncio.Queue()
        queue.put_nowait(delivery)
        self._pending += 1
        worker = self._workers.get(subscription.id)
        if worker is None or worker.done():
            self._workers[subscription.id] = asyncio.get_running_loop().create_task(
                self._work(subscription.id, queue), name=f"pdsim-deliveries-{subscription.id}"
            )
        return delivery

    async def wait_idle(self) -> None:
        """Wait until every queued webhook was delivered, dropped or discarded."""
        while self._pending:
            await asyncio.gather(*(queue.join() for queue in list(self._queues.values())))

    def _done(self, queue: asyncio.Queue[Delivery]) -> None:
        self._pending -= 1
        queue.task_done()

    def _subscription(self, delivery: Delivery) -> WebhookSubscription | None:
        account = self._state.accounts.get(delivery.account)
        return account.webhooks.get(delivery.subscription_id) if account else None

    async def _work(self, subscription_id: str, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await queue.get()
            try:
                await self._deliver(delivery, queue)
            except Exception as error:  # a bug here must not kill the queue
                # Only the class name: exception text could carry the URL's credentials.
                log.error("webhook delivery failed unexpectedly (%s)", error.__class__.__name__)
                delivery.outcome = "dropped"
            finally:
                self._done(queue)

    async def _deliver(self, delivery: Delivery, queue: asyncio.Queue[Delivery]) -> None:
        config = self._state.config
        delays = list(config.delivery_retry_delays)
        while True:
            subscription = self._subscription(delivery)
            if subscription is None or subscription.temporarily_disabled:
                delivery.outcome = "discarded"
                return
            status, error = await self._attempt(subscription, delivery)
            delivery.attempts.append(DeliveryAttempt(self._state.clock.iso(), status, error))
            if status is not None and 200 <= status < 300:
                delivery.outcome = "delivered"
                subscription.consecutive_drops = 0
                return
            retryable = status is None or status == 429 or status >= 500
            if not retryable or not delays:
                break
            await self._state.clock.sleep(delays.pop(0))
        subscription = self._subscription(delivery)
        delivery.outcome = "dropped"
        if subscription is None:
            return
        subscription.consecutive_drops += 1
        if subscription.consecutive_drops >= config.drops_before_disable:
            subscription.temporarily_disabled = True
            while not queue.empty():
                pending = queue.get_nowait()
                pending.outcome = "discarded"
                self._done(queue)

    async def _attempt(
        self, subscription: WebhookSubscription, delivery: Delivery
    ) -> tuple[int | None, str | None]:
        import httpx

        client = self._http()
        headers = {header.name: header.value for header in subscription.custom_headers}
        headers.update(
            {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Webhook-Id": delivery.webhook_id,
                "X-Webhook-Subscription": subscription.id,
                "X-PagerDuty-Signature": signature(subscription.secret, delivery.body),
            }
        )
        try:
            response = await client.post(
                subscription.url,
                content=delivery.body,
                headers=headers,
                timeout=self._state.config.delivery_timeout_seconds,
            )
        except httpx.TimeoutException:
            return None, "timeout"
        except Exception as error:  # any failure to get an answer is retried
            return None, f"connection error ({error.__class__.__name__})"
        return response.status_code, None
