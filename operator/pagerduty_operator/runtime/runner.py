"""Start kopf with the operator's settings, its services, and the handlers of every kind."""

from __future__ import annotations

import logging
from typing import Any

import kopf
from kubernetes import client
from kubernetes import config as kube_config

from pagerduty_operator.config import OperatorConfig
from pagerduty_operator.handlers import KINDS, register_all
from pagerduty_operator.handlers.common import post_kopf_event
from pagerduty_operator.kube import Kube
from pagerduty_operator.pagerduty import install_redaction
from pagerduty_operator.reconcile.clients import ClientRegistry
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.refresh import MAX_AGE_INTERVALS, Refresher
from pagerduty_operator.reconcile.rule_coordinator import PathCoordinator
from pagerduty_operator.reconcile.rule_snapshots import RuleSnapshots
from pagerduty_operator.reconcile.webhook_listing import SubscriptionListings
from pagerduty_operator.runtime.kicks import Kicker
from pagerduty_operator.runtime.kopf_session import bounded_session, connection_limit
from pagerduty_operator.runtime.malloc_arenas import limit_malloc_arenas
from pagerduty_operator.runtime.metrics import LEADER, serve_metrics
from pagerduty_operator.runtime.settings import configure_kopf


def configure_logging(config: OperatorConfig) -> None:
    """JSON (or text) logs through kopf's own formatters, secrets redacted everywhere."""
    log_format = kopf.LogFormat.JSON if config.log_format == "json" else kopf.LogFormat.FULL
    kopf.configure(
        verbose=config.log_level == "DEBUG",
        quiet=config.log_level in ("WARNING", "ERROR"),
        log_format=log_format,
        log_refkey="k8s",
    )
    logging.getLogger().setLevel(config.log_level)
    install_redaction()
    # The kubernetes client and httpx log request lines that can include credentials.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("kubernetes").setLevel(logging.WARNING)


def kubernetes_api_client() -> client.ApiClient:
    """In-cluster credentials when running in a pod, else the kubeconfig (KUBECONFIG)."""
    try:
        kube_config.load_incluster_config()  # type: ignore[no-untyped-call]
    except kube_config.ConfigException:
        kube_config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.ApiClient()


def build_context(config: OperatorConfig, api_client: client.ApiClient) -> ReconcileContext:
    """The long-lived services every reconcile uses."""
    kube = Kube(api_client)
    kicker = Kicker({handlers.plural: handlers for handlers in KINDS})
    # Shared reads are re-read once per resync interval and kick what changed in PagerDuty.
    refresher = Refresher(config.resync_seconds, kick=kicker)
    rules = RuleSnapshots(refresher)
    clients = ClientRegistry(kube, config.endpoints, kick=kicker)
    ctx = ReconcileContext(
        kube=kube,
        clients=clients,
        config=config,
        post_event=post_kopf_event,
        listings=SubscriptionListings(
            max_age=config.resync_seconds * MAX_AGE_INTERVALS, refresher=refresher
        ),
        paths=PathCoordinator(observer=rules),
        kick=kicker,
        refresher=refresher,
        rules=rules,
    )
    kicker.bind(ctx)  # the one thing attached after construction (runtime/kicks.py says why)
    return ctx


def build_registry(config: OperatorConfig) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()

    @kopf.on.login(registry=registry)
    async def login(**kwargs: Any) -> kopf.ConnectionInfo | kopf.AiohttpSession | None:
        # The same source as the reconcilers' client: in-cluster, else the kubeconfig; kopf's
        # session gets a bounded connection pool (see kopf_session).
        info = kopf.login_via_client(**kwargs)
        limit = connection_limit(config.namespaces)
        if info is None or limit is None:
            return info
        return bounded_session(info, limit)

    @kopf.on.startup(registry=registry)
    async def start_services(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
        configure_kopf(settings, config)
        memo["ctx"] = build_context(config, kubernetes_api_client())

    @kopf.on.cleanup(registry=registry)
    async def stop_services(memo: kopf.Memo, **_: Any) -> None:
        ctx = memo.get("ctx")
        if isinstance(ctx, ReconcileContext):
            if isinstance(ctx.kick, Kicker):
                await ctx.kick.drain()
            await ctx.refresher.close()
            await ctx.clients.close()

    register_all(registry, config)
    return registry


def run_operator(config: OperatorConfig) -> int:
    """Run the operator until it is stopped; returns the process exit code."""
    limit_malloc_arenas()  # before any thread exists
    configure_logging(config)
    if config.metrics_address:
        serve_metrics(config.metrics_address)
    if config.leader_election is not None:
        from pagerduty_operator.runtime.leader_runner import run_with_leader_election

        return run_with_leader_election(config, build_registry(config), kubernetes_api_client())
    LEADER.set(1)
    kopf.run(
        registry=build_registry(config),
        clusterwide=config.clusterwide,
        namespaces=config.namespaces,
        standalone=config.standalone,
        liveness_endpoint=f"http://{config.health_address}/healthz",
    )
    return 0
