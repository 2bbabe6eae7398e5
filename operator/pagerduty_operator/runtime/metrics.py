"""Prometheus metrics endpoint: the handlers' reconcile metrics and the PagerDuty client's own."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Gauge, start_http_server
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from pagerduty_operator.handlers.metrics import REGISTRY
from pagerduty_operator.pagerduty import ClientMetrics, default_metrics, default_registry

LEADER = Gauge(
    "pagerduty_operator_leader",
    "1 while this process reconciles: it holds the leader-election Lease (--leader-elect), or "
    "runs without leader election; 0 while it stands by.",
    registry=REGISTRY,
)


class PagerDutyClientCollector(Collector):
    """Exports the PagerDuty client's own counters at scrape time."""

    def __init__(self, metrics: ClientMetrics | None = None) -> None:
        self._metrics = metrics or default_metrics()

    def collect(self) -> Iterator[CounterMetricFamily]:
        requests = CounterMetricFamily(
            "pagerduty_operator_pagerduty_requests",
            "PagerDuty API requests by method, path template and status.",
            labels=["method", "path", "status"],
        )
        for (method, path, status), count in sorted(self._metrics.requests.items()):
            requests.add_metric([method, path, status], count)
        yield requests
        rate_limited = CounterMetricFamily(
            "pagerduty_operator_pagerduty_rate_limited", "PagerDuty 429 responses."
        )
        rate_limited.add_metric([], self._metrics.rate_limited)
        yield rate_limited
        waits = CounterMetricFamily(
            "pagerduty_operator_ratelimit_waits",
            "Times a request waited for the per-credential rate limiter.",
        )
        waits.add_metric([], default_registry().totals().waits)
        yield waits


REGISTRY.register(PagerDutyClientCollector())


def serve_metrics(address: str) -> None:
    """Serve /metrics on `host:port` from a background thread."""
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host or "0.0.0.0", registry=REGISTRY)
