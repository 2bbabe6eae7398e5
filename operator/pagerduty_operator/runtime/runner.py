"""Start kopf with the operator's settings and the handlers of every kind."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from pagerduty_operator.runtime.config import OperatorConfig
from pagerduty_operator.runtime.settings import configure_kopf


def configure_logging(config: OperatorConfig) -> None:
    """JSON (or text) logs through kopf's own formatters, at the configured level."""
    log_format = kopf.LogFormat.JSON if config.log_format == "json" else kopf.LogFormat.FULL
    kopf.configure(
        verbose=config.log_level == "DEBUG",
        quiet=config.log_level in ("WARNING", "ERROR"),
        log_format=log_format,
        log_refkey="k8s",
    )
    logging.getLogger().setLevel(config.log_level)
    # The kubernetes client and httpx log request lines that can include credentials.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("kubernetes").setLevel(logging.WARNING)


@kopf.on.startup()
async def _apply_settings(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    configure_kopf(settings, memo["config"])


def run_operator(config: OperatorConfig) -> int:
    """Run the operator until it is stopped; returns the process exit code."""
    configure_logging(config)
    import pagerduty_operator.handlers  # noqa: F401  (registers the handlers of every kind)

    kopf.run(
        clusterwide=config.clusterwide,
        namespaces=config.namespaces,
        standalone=config.standalone,
        liveness_endpoint=f"http://{config.health_address}/healthz",
        memo=kopf.Memo(config=config),
    )
    return 0
