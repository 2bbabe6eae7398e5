"""Reconcile one PagerDutyIntegration: credentials, scopes, the optional Events API integration.

The integration owns no PagerDuty object of its own except the optional Events API v2 service
integration (which PagerDuty's API cannot delete). Its status tells dependents, and people,
whether the credentials work and what they may do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from pagerduty_operator.models.identity import INTEGRATION_ID_ANNOTATION
from pagerduty_operator.models.integration import (
    ROUTING_KEY_SECRET_KEY,
    EventsIntegrationStatus,
    IntegrationSpec,
    IntegrationStatus,
    ScopeChecks,
    ServiceInfo,
)
from pagerduty_operator.models.reasons import IntegrationReason, Problem, SharedReason
from pagerduty_operator.models.resources import INTEGRATION
from pagerduty_operator.pagerduty import (
    AuthenticationError,
    NotFoundError,
    PagerDutyClient,
    PagerDutyError,
    ScopeStatus,
)
from pagerduty_operator.pagerduty.resources.services import EVENTS_API_V2, Integration
from pagerduty_operator.reconcile.clients import Connection, IntegrationUnavailable
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.failures import describe_failure
from pagerduty_operator.reconcile.run import KindScaffold, Outcome, Run
from pagerduty_operator.reconcile.spec_errors import describe_validation_error

CONDITION_ORDER = ("Ready", "CredentialsValid", "ScopesGranted", "ServiceFound", "Synced")


SCAFFOLD = KindScaffold(
    kind=INTEGRATION.kind,
    status_type=IntegrationStatus,
    condition_order=CONDITION_ORDER,
    blocking=("CredentialsValid", "ServiceFound", "Synced", "EventsIntegrationReady"),
    ready_message="the integration can be used",
)
IntegrationRun = Run[IntegrationStatus]
IntegrationOutcome = Outcome[IntegrationStatus]


async def reconcile_integration(ctx: ReconcileContext, body: dict[str, Any]) -> IntegrationOutcome:
    """Check the integration's credentials and provision what its spec asks for."""
    run = Run(SCAFFOLD, ctx, body)
    try:
        spec = IntegrationSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        run.conditions.false(
            "CredentialsValid", SharedReason.INVALID_SPEC, describe_validation_error(error)
        )
        return run.finish()
    try:
        connection = await ctx.clients.connect(run.namespace, run.name, spec)
    except IntegrationUnavailable as problem:
        run.conditions.false("CredentialsValid", problem.reason, problem.message)
        return run.finish()
    run.status.auth_method = connection.auth_method
    if connection.client is None:
        run.conditions.true(
            "CredentialsValid",
            "RoutingKeyOnly",
            "a routing key alone is not checked (that would send an event); "
            "add credentials.apiKey or credentials.oauth to manage PagerDuty objects",
        )
        return run.finish()
    client = connection.client
    try:
        await _check_credentials(run, spec, client, 2 * ctx.config.resync_seconds)
        if spec.service_id:
            service = await client.services.get(spec.service_id, include_integrations=False)
            run.status.service = ServiceInfo(id=service.id, name=service.name)
            run.conditions.true("ServiceFound", "Found", f"service {service.id} exists")
        if spec.events_integration is not None and spec.management_policy == "Manage":
            await _ensure_events_integration(run, spec, connection)
    except NotFoundError as error:
        if spec.service_id and run.conditions.get("ServiceFound") is None:
            run.conditions.false(
                "ServiceFound",
                IntegrationReason.SERVICE_NOT_FOUND,
                f"spec.serviceId: PagerDuty service {spec.service_id} does not exist or is not "
                f"visible to these credentials ({error.message})",
            )
            return run.finish()
        return _failed(run, error)
    except (PagerDutyError, Problem) as error:
        return _failed(run, error)
    return run.finish()


def _failed(run: IntegrationRun, error: Exception) -> IntegrationOutcome:
    failure = describe_failure(error)
    condition = "CredentialsValid" if isinstance(error, AuthenticationError) else "Synced"
    run.conditions.false(condition, failure.reason, failure.message)
    return run.finish(failure.retry_after)


async def _check_credentials(
    run: IntegrationRun, spec: IntegrationSpec, client: PagerDutyClient, recent: float
) -> None:
    # In full when the credential is new, hourly, or after a refused call; cheaply otherwise.
    report = await client.checked_probe(recent)
    run.conditions.true("CredentialsValid", "Valid", "PagerDuty accepted the credentials")
    run.status.scopes = ScopeChecks.model_validate(
        {name: str(value) for name, value in report.scopes.items()}
    )
    missing = report.with_status(ScopeStatus.MISSING)
    unknown = report.with_status(ScopeStatus.UNKNOWN)
    if missing:
        run.conditions.false(
            "ScopesGranted",
            IntegrationReason.MISSING_SCOPES,
            f"not granted: {', '.join(missing)}; resources that need them will say so",
        )
    elif unknown:
        run.conditions.unknown(
            "ScopesGranted",
            IntegrationReason.SCOPES_UNKNOWN,
            f"could not be checked: {', '.join(unknown)}",
        )
    else:
        run.conditions.true("ScopesGranted", "AllGranted", "every scope the operator uses")
    credential = client.credential
    if credential.expires_at is not None:
        run.status.token_expires_at = datetime.fromtimestamp(int(credential.expires_at), UTC)
    oauth = spec.credentials.oauth
    if oauth is not None and oauth.subdomain:
        run.status.account = oauth.subdomain


async def _ensure_events_integration(
    run: IntegrationRun, spec: IntegrationSpec, connection: Connection
) -> None:
    wanted = spec.events_integration
    service_id = spec.events_service_id
    if wanted is None or service_id is None:
        return
    client = connection.rest()
    known_id = (run.previous.get("eventsIntegration") or {}).get("id")
    secret = await run.ctx.kube.read_secret(run.namespace, wanted.secret_name)
    if secret is not None:
        secret.check_writable_by(run.owner, "eventsIntegration.secretName")
    if not known_id and secret is not None:
        known_id = secret.annotations.get(INTEGRATION_ID_ANNOTATION)
    service = await client.services.get(service_id, include_integrations=True)
    candidates = [i for i in service.integrations if i.type == EVENTS_API_V2]
    found: Integration | None = next((i for i in candidates if i.id == known_id), None)
    if found is None:
        found = next((i for i in candidates if i.name == wanted.name), None)
    created = False
    if found is None:
        found = await client.integrations.create(service_id, wanted.name)
        created = True
    key = found.integration_key
    if key is None:
        found = await client.integrations.get(service_id, found.id)
        key = found.integration_key
    if key is None:
        raise IntegrationUnavailable(
            IntegrationReason.NO_INTEGRATION_KEY,
            f"PagerDuty returned no integration key for {found.id}",
        )
    value = key.get_secret_value()
    if secret is None or secret.data.get(ROUTING_KEY_SECRET_KEY) != value:
        await run.ctx.kube.write_owned_secret(
            run.namespace,
            wanted.secret_name,
            {ROUTING_KEY_SECRET_KEY: value},
            run.owner,
            annotations={INTEGRATION_ID_ANNOTATION: found.id},
            ref_field="eventsIntegration.secretName",
        )
    if created:
        run.ctx.post_event(
            run.body,
            "Normal",
            "Created",
            f"created Events API v2 integration {found.id} on service {service_id}",
        )
    run.status.events_integration = EventsIntegrationStatus(
        id=found.id, service_id=service_id, secret_name=wanted.secret_name
    )
    run.conditions.true(
        "EventsIntegrationReady",
        "Published",
        f"the routing key of integration {found.id} is in Secret {wanted.secret_name!r}",
    )
