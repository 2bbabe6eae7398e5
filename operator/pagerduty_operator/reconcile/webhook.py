"""Reconcile one PagerDutyWebhook: create, adopt, update in place, replace, observe, ping.

`reconcile_webhook` is level-based and idempotent: every trigger (create, update, resume, the
resync timer, a changed Secret) runs it whole. It returns the complete status to write. The
signing secret that PagerDuty returns only at creation is written to the owned Secret right
after the create call, before anything else can lose it.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from pagerduty_operator.kube import SecretData
from pagerduty_operator.models.identity import (
    DIGEST_ANNOTATION,
    PING_ANNOTATION,
    SUBSCRIPTION_ANNOTATION,
)
from pagerduty_operator.models.reasons import Problem, SharedReason, WebhookReason
from pagerduty_operator.models.resources import WEBHOOK
from pagerduty_operator.models.webhook import (
    HeldSecret,
    PingResult,
    StatusScope,
    WebhookSpec,
    WebhookStatus,
)
from pagerduty_operator.pagerduty import (
    NotFoundError,
    PagerDutyClient,
    PagerDutyError,
    ProductLimitError,
)
from pagerduty_operator.pagerduty.resources.webhooks import WebhookSubscription
from pagerduty_operator.reconcile.clients import Connection, IntegrationUnavailable
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.failures import describe_failure
from pagerduty_operator.reconcile.run import KindScaffold, Outcome, Run
from pagerduty_operator.reconcile.spec_errors import describe_validation_error
from pagerduty_operator.reconcile.webhook_desired import (
    DesiredSubscription,
    ScopeNotAllowed,
    effective_scope,
    headers_digest,
    marker_of,
    resolve_headers,
)
from pagerduty_operator.reconcile.webhook_listing import requested_since
from pagerduty_operator.reconcile.webhook_plan import (
    Chosen,
    HeldSigningSecret,
    Plan,
    Replace,
    choose,
    plan,
)

CONDITION_ORDER = ("Ready", "Synced", "SigningSecretAvailable")


SCAFFOLD = KindScaffold(
    kind=WEBHOOK.kind,
    status_type=WebhookStatus,
    condition_order=CONDITION_ORDER,
    blocking=("Synced",),
    ready_message="the webhook subscription matches the spec",
    carried=("subscription_id", "scope", "signing_secret", "last_ping"),
)
WebhookRun = Run[WebhookStatus]
WebhookOutcome = Outcome[WebhookStatus]
MAX_PING_MESSAGE = 1024


def _new_run(ctx: ReconcileContext, body: dict[str, Any]) -> WebhookRun:
    return Run(SCAFFOLD, ctx, body)


def _finish(run: WebhookRun, retry_after: float | None = None) -> WebhookOutcome:
    return run.finish(retry_after)


def _fail(run: WebhookRun, error: Exception) -> WebhookOutcome:
    failure = describe_failure(error)
    run.conditions.false("Synced", failure.reason, failure.message)
    run.conditions.keep_previous("SigningSecretAvailable")
    return _finish(run, failure.retry_after)


async def reconcile_webhook(ctx: ReconcileContext, body: dict[str, Any]) -> WebhookOutcome:
    """Make PagerDuty match one PagerDutyWebhook (or report how it differs, with Observe)."""
    run = _new_run(ctx, body)
    try:
        spec = WebhookSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        run.conditions.false("Synced", SharedReason.INVALID_SPEC, describe_validation_error(error))
        return _finish(run)
    try:
        return await _reconcile(run, spec)
    except ScopeNotAllowed as problem:
        run.conditions.false("Synced", problem.reason, problem.message)
        return _finish(run)
    except (PagerDutyError, Problem) as error:
        return _fail(run, error)


async def _reconcile(run: WebhookRun, spec: WebhookSpec) -> WebhookOutcome:
    ctx = run.ctx
    connection = await ctx.clients.for_integration(run.namespace, spec.integration_ref.name)
    client = connection.rest()
    scope = effective_scope(spec, connection.service_id)
    run.status.scope = StatusScope.model_validate({"type": scope.kind, "id": scope.id})
    headers = await resolve_headers(ctx.kube, run.namespace, spec)
    desired = DesiredSubscription.build(spec, run.namespace, run.name, scope, headers)
    secret = await _held_secret(run, spec)
    held = (
        HeldSigningSecret(secret.annotations, secret.data.get(spec.signing_secret_ref.key))
        if secret is not None
        else None
    )

    found = await _locate(run, spec, connection, desired, held)
    if spec.management_policy == "Observe":
        return _observe(run, desired, found.keep if found else None)

    if found is not None:
        for duplicate in found.duplicates:
            await _delete(run, client, duplicate.id, "DeletedDuplicate")
    actual = found.keep if found else None
    steps = plan(
        desired,
        actual,
        held,
        rotate=spec.rotate_signing_secret,
        previous_id=run.previous.get("subscriptionId"),
        adopted_without_secret=actual is not None and _adopted_without_secret(run, actual),
    )
    actual = await _execute(run, spec, client, desired, actual, steps)
    run.status.subscription_id = actual.id
    await _ping_if_asked(run, client, actual)
    if not run.conditions.get("Synced"):
        run.conditions.true("Synced", "Synced", f"subscription {actual.id} matches the spec")
    return _finish(run)


async def _held_secret(run: WebhookRun, spec: WebhookSpec) -> SecretData | None:
    """The owned signing Secret, refusing before any create one that cannot be written.

    Keys a Secret cannot hold ('.', '..', a leading '..') never get here: the schema and the
    model refuse them (an object admitted by an older CRD gets `InvalidSpec`).
    """
    ref = spec.signing_secret_ref
    secret = await run.ctx.kube.read_secret(run.namespace, ref.name)
    if secret is not None:
        secret.check_writable_by(run.owner, "signingSecretRef")
    return secret


async def _locate(
    run: WebhookRun,
    spec: WebhookSpec,
    connection: Connection,
    desired: DesiredSubscription,
    held: HeldSigningSecret | None,
) -> Chosen | None:
    """The subscription this webhook has in PagerDuty, and its duplicates; reads only.

    By the id it knows (status, `adoptId`, the signing Secret's annotation), else in a listing:
    a subscription marked as this webhook's, else an unmarked one with the same endpoint. The
    listings it reads are watched for this webhook: a later read showing its subscription
    changed kicks it (drift corrected within one resync interval).
    """
    ctx = run.ctx
    client = connection.rest()
    known_id = run.previous.get("subscriptionId") or spec.adopt_id
    if held is not None and not known_id:
        known_id = held.annotations.get(SUBSCRIPTION_ANNOTATION)
    if known_id:
        listing = await ctx.listings.get(
            client, desired.scope, watcher=(WEBHOOK.plural, *run.key), item=known_id
        )
        found = listing.get(known_id)
        try:
            if found is None:
                found = await client.webhooks.get(known_id)
                ctx.listings.upsert(client, found)
            return choose([found, *listing.values()], run.key, held)
        except NotFoundError:
            if (
                spec.adopt_id
                and known_id == spec.adopt_id
                and not run.previous.get("subscriptionId")
            ):
                raise IntegrationUnavailable(
                    WebhookReason.ADOPT_TARGET_NOT_FOUND,
                    f"spec.adoptId {spec.adopt_id} names no webhook subscription in PagerDuty",
                ) from None
    # Look before creating, in a listing that shows what existed when the webhook was asked
    # for, and every create an earlier attempt made (this process's from the listings' ledger,
    # a failed one's from a listing started after it).
    since = max(
        requested_since(run.body, run.started),
        ctx.listings.unsettled_since(client, desired.scope),
    )
    listing = await ctx.listings.get(
        client, desired.scope, fresh_since=since, watcher=(WEBHOOK.plural, *run.key)
    )
    ours = [s for s in listing.values() if marker_of(s) == run.key]
    if ours:
        return choose(ours, run.key, held)
    unmarked = [s for s in listing.values() if marker_of(s) is None and desired.is_same_endpoint(s)]
    return Chosen(unmarked[0], ()) if unmarked else None


def _observe(
    run: WebhookRun, desired: DesiredSubscription, actual: WebhookSubscription | None
) -> WebhookOutcome:
    if actual is None:
        run.conditions.false(
            "Synced",
            SharedReason.NOT_FOUND,
            "no matching webhook subscription exists in PagerDuty (Observe)",
        )
        run.status.subscription_id = None
        return _finish(run)
    run.status.subscription_id = actual.id
    drift = desired.drift(actual)
    if drift:
        run.conditions.false(
            "Synced",
            SharedReason.DRIFTED,
            f"subscription {actual.id} differs in: {', '.join(drift)}",
        )
    else:
        run.conditions.true("Synced", "Observed", f"subscription {actual.id} matches the spec")
    run.conditions.unknown(
        "SigningSecretAvailable",
        SharedReason.OBSERVED,
        "Observe never creates, so holds no signing secret",
    )
    return _finish(run)


async def _create(
    run: WebhookRun,
    spec: WebhookSpec,
    client: PagerDutyClient,
    desired: DesiredSubscription,
    *,
    reason: str | None,
) -> WebhookSubscription:
    """Create the subscription and store its signing secret; post `reason` as an Event if set."""
    try:
        created = await client.webhooks.create(desired.for_create())
    except BaseException:
        run.ctx.listings.unsettled(client, desired.scope)  # it may exist all the same
        raise
    secret = created.signing_secret
    run.ctx.listings.upsert(client, created)
    if secret is not None:
        value = secret.get_secret_value()
        await run.ctx.kube.write_owned_secret(
            run.namespace,
            spec.signing_secret_ref.name,
            {spec.signing_secret_ref.key: value},
            run.owner,
            annotations={
                SUBSCRIPTION_ANNOTATION: created.id,
                DIGEST_ANNOTATION: headers_digest(list(desired.headers), value),
            },
            ref_field="signingSecretRef",
        )
        _signing_secret_held(run, spec, created.id)
    else:
        run.conditions.false(
            "SigningSecretAvailable",
            WebhookReason.NOT_RETURNED,
            "PagerDuty returned no signing secret for the new subscription",
        )
    run.status.subscription_id = created.id
    if reason is not None:
        run.event("Normal", reason, f"{reason.lower()} webhook subscription {created.id}")
    return created


def _signing_secret_held(run: WebhookRun, spec: WebhookSpec, subscription_id: str) -> None:
    ref = spec.signing_secret_ref
    run.status.signing_secret = HeldSecret(name=ref.name, key=ref.key)
    run.conditions.true(
        "SigningSecretAvailable",
        "Stored",
        f"the signing secret of subscription {subscription_id} is in Secret {ref.name!r}",
    )


def _adopted_without_secret(run: WebhookRun, actual: WebhookSubscription) -> bool:
    """Whether `actual` was adopted earlier without a signing secret (status says so).

    Adoption writes the marker into the description, so a marked subscription whose secret the
    operator does not hold is either one it adopted (keep it, `NotHeld`) or one it created and
    whose secret got lost, e.g. a crash before the Secret write (replace it to get one).
    """
    previous = run.previous
    kept = {c.get("type"): c for c in previous.get("conditions") or []}
    signing = kept.get("SigningSecretAvailable") or {}
    return previous.get("subscriptionId") == actual.id and signing.get("reason") == "NotHeld"


async def _execute(
    run: WebhookRun,
    spec: WebhookSpec,
    client: PagerDutyClient,
    desired: DesiredSubscription,
    actual: WebhookSubscription | None,
    steps: Plan,
) -> WebhookSubscription:
    """Carry out `steps` (from `plan`), posting an Event for each change."""
    if steps.create or actual is None:
        return await _create(run, spec, client, desired, reason="Created")
    if steps.replace is not None:
        return await _replace(run, spec, client, desired, steps.replace)
    if steps.secret_held:
        _signing_secret_held(run, spec, actual.id)
    else:
        run.status.signing_secret = None
        run.conditions.false(
            "SigningSecretAvailable",
            WebhookReason.NOT_HELD,
            f"subscription {actual.id} was adopted and PagerDuty shows its signing secret only "
            "at creation; set rotateSigningSecret: true to replace it and store a new one",
        )
    if steps.update is not None:
        actual = await client.webhooks.update(actual.id, steps.update)
        run.ctx.listings.remove(client, actual.id)
        run.ctx.listings.upsert(client, actual)
        fields = [k for k, v in steps.update.model_dump().items() if v is not None]
        run.event("Normal", "Updated", f"updated subscription {actual.id}: {', '.join(fields)}")
    if steps.adopt:
        run.event("Normal", "Adopted", f"adopted existing webhook subscription {actual.id}")
    if steps.enable and actual.delivery_method.temporarily_disabled:
        actual = await client.webhooks.enable(actual.id)
        run.event("Normal", "Enabled", f"re-enabled temporarily disabled subscription {actual.id}")
    return actual


async def _replace(
    run: WebhookRun,
    spec: WebhookSpec,
    client: PagerDutyClient,
    desired: DesiredSubscription,
    replace: Replace,
) -> WebhookSubscription:
    old_id = replace.old_id
    if replace.delete_first:
        # Nobody can verify what this one delivers any more (e.g. a crash came between the
        # create and the Secret write): delete it first, so that replacing it never needs a
        # second place among PagerDuty's 10 per service or team, which a concurrent create
        # of another webhook would then find taken.
        await _delete(run, client, old_id, "DeletedReplaced")
        new = await _create(run, spec, client, desired, reason=None)
    else:
        try:
            new = await _create(run, spec, client, desired, reason=None)
        except ProductLimitError:
            if not replace.may_make_room:
                raise
            # The scope holds PagerDuty's maximum (10 per service or team), this one included:
            # make room by deleting the old subscription first. A crash in between leaves
            # nothing to find, so the next reconcile simply creates.
            await _delete(run, client, old_id, "DeletedReplaced")
            new = await _create(run, spec, client, desired, reason=None)
        else:
            await _delete(run, client, old_id, "DeletedReplaced")
    run.ctx.post_event(
        run.body,
        "Normal",
        "Replaced",
        f"replaced {old_id} by {new.id}: {', '.join(replace.reasons)}",
    )
    return new


async def _delete(
    run: WebhookRun, client: PagerDutyClient, subscription_id: str, reason: str
) -> None:
    with contextlib.suppress(NotFoundError):
        await client.webhooks.delete(subscription_id)
    run.ctx.listings.remove(client, subscription_id)
    run.event("Normal", reason, f"deleted webhook subscription {subscription_id}")


async def _ping_if_asked(
    run: WebhookRun, client: PagerDutyClient, actual: WebhookSubscription
) -> None:
    wanted = (run.body["metadata"].get("annotations") or {}).get(PING_ANNOTATION)
    last = run.previous.get("lastPing") or {}
    if not wanted or last.get("annotation") == wanted:
        return
    stamp = datetime.now(UTC).replace(microsecond=0)
    try:
        await client.webhooks.ping(actual.id)
        result = PingResult(annotation=wanted, time=stamp, result="Accepted", message="")
        run.event("Normal", "Pinged", f"PagerDuty accepted a ping of subscription {actual.id}")
    except PagerDutyError as error:
        message = str(error)[:MAX_PING_MESSAGE]
        result = PingResult(annotation=wanted, time=stamp, result="Failed", message=message)
        run.event("Warning", "PingFailed", f"ping of subscription {actual.id} failed: {error}")
    run.status.last_ping = result


async def finalize_webhook(ctx: ReconcileContext, body: dict[str, Any]) -> None:
    """On deletion: remove the subscription (policy Delete) or leave it (Orphan, Observe).

    Raises the client's errors for a retry when PagerDuty cannot be reached; the finalizer stays
    until the subscription is gone, so nothing is orphaned by accident.
    """
    spec_data = body.get("spec") or {}
    try:
        spec = WebhookSpec.model_validate(spec_data)
    except ValidationError:
        return  # never admitted as valid, so never created anything
    if spec.deletion_policy == "Orphan" or spec.management_policy == "Observe":
        return
    run = _new_run(ctx, body)
    try:
        connection = await ctx.clients.for_integration(run.namespace, spec.integration_ref.name)
    except IntegrationUnavailable:
        cached = ctx.clients.cached(run.namespace, spec.integration_ref.name)
        if cached is None:
            if not run.previous.get("subscriptionId"):
                return  # it never had a usable integration, so it holds no subscription
            raise
        connection = cached
    client = connection.rest()
    ids = {run.previous.get("subscriptionId")} - {None}
    try:
        scope = effective_scope(spec, connection.service_id)
    except ScopeNotAllowed:
        scope = None  # refused, so nothing was created there: only what status recorded
    if scope is not None:
        listing = await ctx.listings.get(client, scope, fresh_since=run.started)
        ids |= {s.id for s in listing.values() if marker_of(s) == (run.namespace, run.name)}
    for subscription_id in sorted(i for i in ids if i):
        await _delete(run, client, subscription_id, "Deleted")
