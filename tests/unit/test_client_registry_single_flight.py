"""ClientRegistry: concurrent reconciles share one resolution of a stale integration."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from pagerduty_operator.config import EndpointOverrides
from pagerduty_operator.kube import Kube
from pagerduty_operator.reconcile.clients import ClientRegistry


class CountingKube:
    """The two reads `for_integration` makes, counted, each taking a moment like a real call."""

    def __init__(self) -> None:
        self.object_reads = 0
        self.secret_reads = 0

    async def get_object(self, plural: str, namespace: str, name: str) -> dict[str, Any]:
        self.object_reads += 1
        await asyncio.sleep(0.01)
        return {
            "spec": {"credentials": {"apiKey": {"secretKeyRef": {"name": "key", "key": "token"}}}}
        }

    async def read_secret_value(self, namespace: str, name: str, key: str) -> tuple[str, str]:
        self.secret_reads += 1
        await asyncio.sleep(0.01)
        return "y_fake_unit_test_key", "1"


async def test_concurrent_callers_share_one_read() -> None:
    kube = CountingKube()
    registry = ClientRegistry(cast(Kube, kube), EndpointOverrides())
    try:
        connections = await asyncio.gather(
            *(registry.for_integration("ns", "acme") for _ in range(50))
        )
        assert len({id(c) for c in connections}) == 1
        assert (kube.object_reads, kube.secret_reads) == (1, 1)

        registry.invalidate("ns", "acme")
        again = await asyncio.gather(*(registry.for_integration("ns", "acme") for _ in range(50)))
        assert (kube.object_reads, kube.secret_reads) == (2, 2)
        assert again[0] is connections[0]  # same material: the client is reused
    finally:
        await registry.close()
