"""Configuration of a simulator instance (ports, limits, timings, seed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pagerduty_simulator.seed import Seed

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0, 30.0, 60.0, 120.0)


@dataclass
class SimulatorConfig:
    """How a simulator instance listens and behaves.

    Every timing below runs on the simulator's controllable clock except the delivery
    timeout (a real network timeout) and injected delays.
    """

    host: str = "127.0.0.1"
    port: int = 0
    """Port of the US origin (0 = any free port)."""
    eu_port: int = 0
    """Port of the EU origin (0 = any free port)."""
    rate_limit_per_minute: int = 960
    """REST requests per credential per minute (0 = no limit, no rate-limit headers)."""
    seed: Seed | None = None
    """The initial state; None = the packaged default seed."""
    oauth_token_ttl_seconds: int = 86400
    """`expires_in` of OAuth access tokens."""
    refresh_token_ttl_seconds: int = 30 * 86400
    """Lifetime of user OAuth refresh tokens (a refresh grant returns a new one)."""
    events_rate_limit_per_minute: int = 120
    """Events API v2 calls per routing key per minute (0 = no limit)."""
    webhook_limit_per_filter: int = 10
    """Webhook subscriptions per service or team filter id (error 2019 beyond)."""
    delivery_timeout_seconds: float = 5.0
    """How long a webhook receiver has to answer one delivery attempt."""
    delivery_retry_delays: tuple[float, ...] = field(default=DEFAULT_RETRY_DELAYS)
    """Waits before each retry of a failed delivery; the webhook is dropped after the last."""
    drops_before_disable: int = 3
    """Consecutive dropped webhooks that temporarily disable a subscription."""
    log_requests: bool = False
    """Log every API request at INFO (method, path, status; never credentials)."""
