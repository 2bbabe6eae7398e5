"""Reconcile one PagerDutyIncidentRule: own exactly one rule in an orchestration path.

Changes go through the `PathCoordinator` (serialised and coalesced per path); the rule is found
again by the marker in its label, so a crash between the PUT and the status write never makes a
second rule. Rules the operator does not own are never changed.
"""

from __future__ import annotations

from typing import Any, cast

from pydantic import ValidationError

from pagerduty_operator.models.incident_rule import IncidentRuleSpec, IncidentRuleStatus, RulePath
from pagerduty_operator.models.reasons import IncidentRuleReason, Problem, SharedReason
from pagerduty_operator.models.resources import INCIDENT_RULE
from pagerduty_operator.pagerduty import NotFoundError, PagerDutyClient, PagerDutyError
from pagerduty_operator.pagerduty.resources.orchestrations import PathKind
from pagerduty_operator.reconcile.clients import IntegrationUnavailable
from pagerduty_operator.reconcile.context import ReconcileContext
from pagerduty_operator.reconcile.failures import describe_failure
from pagerduty_operator.reconcile.rule_coordinator import Applied, PathRef
from pagerduty_operator.reconcile.rule_desired import DesiredRule
from pagerduty_operator.reconcile.rule_messages import explain
from pagerduty_operator.reconcile.rule_path_edit import Change, Inspect, Release, Remove, Upsert
from pagerduty_operator.reconcile.rule_snapshots import without_write
from pagerduty_operator.reconcile.run import KindScaffold, Outcome, Run
from pagerduty_operator.reconcile.spec_errors import describe_validation_error

CONDITION_ORDER = ("Ready", "Synced", "OrchestrationActive", "Warnings")


class TargetProblem(Problem):
    """The rule's target cannot be used (none given, or one its integration does not allow)."""


def rule_path(spec: IncidentRuleSpec, integration_service_id: str | None, name: str) -> PathRef:
    """The path the rule lives in; a service-scoped integration allows only its service."""
    target = spec.target
    if target is None:
        if not integration_service_id:
            raise TargetProblem(
                IncidentRuleReason.NO_TARGET,
                f"spec.target is not set and PagerDutyIntegration {name!r} has no serviceId; "
                "set spec.target.service, .global or .router",
            )
        return PathRef("service", integration_service_id)
    if integration_service_id and (
        target.path_type != "service" or target.path_id != integration_service_id
    ):
        raise TargetProblem(
            SharedReason.SCOPE_NOT_ALLOWED,
            f"PagerDutyIntegration {name!r} is limited to service {integration_service_id}; "
            f"the {target.path_type} path {target.path_id} is not allowed",
        )
    return PathRef(target.path_type, target.path_id)


SCAFFOLD = KindScaffold(
    kind=INCIDENT_RULE.kind,
    status_type=IncidentRuleStatus,
    condition_order=CONDITION_ORDER,
    blocking=("Synced", "OrchestrationActive"),
    ready_message="the rule is in place and in effect",
    carried=("rule_id", "path", "set", "position"),
)
RuleRun = Run[IncidentRuleStatus]
RuleOutcome = Outcome[IncidentRuleStatus]


async def reconcile_incident_rule(ctx: ReconcileContext, body: dict[str, Any]) -> RuleOutcome:
    """Make the owned rule match the spec (or report how it differs, with Observe)."""
    run = Run(SCAFFOLD, ctx, body)
    try:
        spec = IncidentRuleSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        run.conditions.false("Synced", SharedReason.INVALID_SPEC, describe_validation_error(error))
        return run.finish()
    try:
        return await _reconcile(run, spec)
    except TargetProblem as problem:
        run.conditions.false("Synced", problem.reason, problem.message)
        return run.finish()
    except (PagerDutyError, Problem) as error:
        failure = describe_failure(error)
        run.conditions.false("Synced", failure.reason, failure.message)
        run.conditions.keep_previous("OrchestrationActive")
        run.conditions.keep_previous("Warnings")
        return run.finish(failure.retry_after)


def previous_path(status: dict[str, Any], ref: PathRef) -> PathRef | None:
    """The path `status` says the rule is in, when it is not `ref`.

    A rule without a target follows its integration's `serviceId`, which may change.
    """
    path = status.get("path")
    if not isinstance(path, dict):
        return None
    kind, path_id = path.get("type"), path.get("id")
    if kind not in ("service", "global", "router") or not isinstance(path_id, str) or not path_id:
        return None
    if (kind, path_id) == (ref.kind, ref.id):
        return None
    return PathRef(cast(PathKind, kind), path_id)


async def _reconcile(run: RuleRun, spec: IncidentRuleSpec) -> RuleOutcome:
    connection = await run.ctx.clients.for_integration(run.namespace, spec.integration_ref.name)
    client = connection.rest()
    ref = rule_path(spec, connection.service_id, spec.integration_ref.name)
    left = previous_path(run.previous, ref)
    if left is None:  # after a move, the status keeps the old path until it is cleaned
        run.status.path = RulePath(type=ref.kind, id=ref.id)
    priority = spec.actions.priority if spec.actions else None
    priority_id = await client.priorities.resolve(priority) if priority else None
    desired = DesiredRule.build(spec, run.key, priority_id)
    known_id = run.previous.get("ruleId")
    observe = spec.management_policy == "Observe"
    new_id = None if left else known_id  # a known id belongs to the old path
    change = Inspect(desired, new_id) if observe else Upsert(desired, new_id)
    try:
        applied = await _apply(run, client, ref, change, in_place=left is None)
    except PagerDutyError as error:
        raise explain(error, spec, ref, spec.integration_ref.name) from None
    result = applied.result
    run.status.rule_id, run.status.set = result.rule_id, result.set_id
    run.status.position = result.position
    if left is not None:
        if not observe:
            await run.ctx.paths.submit(client, left, Remove(run.key, known_id))
            run.event(
                "Normal",
                "Moved",
                f"the rule moved from the {left.kind} path {left.id} to the {ref.kind} path "
                f"{ref.id} (rule {result.rule_id})",
            )
        run.status.path = RulePath(type=ref.kind, id=ref.id)
    if observe:
        _report_observed(run, applied)
    else:
        _report_applied(run, applied)
    if ref.kind == "service":
        try:
            await _orchestration_active(run, spec, client, ref.id, observe)
        except PagerDutyError as error:
            raise explain(error, spec, ref, spec.integration_ref.name) from None
    return run.finish()


async def _apply(
    run: RuleRun, client: PagerDutyClient, ref: PathRef, change: Change, *, in_place: bool
) -> Applied:
    """The change's outcome: from the path's fresh snapshot if it needs no write, else applied.

    Watching the path makes a later read that shows this rule changed kick this resource.
    """
    rules = run.ctx.rules
    rules.watch_path(client, ref, (INCIDENT_RULE.plural, *run.key))
    snapshot = rules.fresh_path(client, ref) if in_place else None
    if snapshot is not None:
        applied = without_write(snapshot, ref, change)
        if applied is not None:
            return applied
    return await run.ctx.paths.submit(client, ref, change)


def _report_observed(run: RuleRun, applied: Applied) -> None:
    result = applied.result
    if not result.found:
        run.conditions.false(
            "Synced", SharedReason.NOT_FOUND, "no rule of this resource is in the path"
        )
    elif result.differences:
        run.conditions.false(
            "Synced",
            SharedReason.DRIFTED,
            f"rule {result.rule_id} differs in: {', '.join(result.differences)}",
        )
    else:
        run.conditions.true("Synced", "Observed", f"rule {result.rule_id} matches the spec")


def _report_applied(run: RuleRun, applied: Applied) -> None:
    result = applied.result
    if "created" in result.differences:
        run.event("Normal", "Created", f"created rule {result.rule_id} in set {result.set_id}")
    elif result.differences and applied.wrote:
        run.event(
            "Normal",
            "Updated",
            f"updated rule {result.rule_id}: {', '.join(sorted(set(result.differences)))}",
        )
    run.conditions.true(
        "Synced", "Synced", f"rule {result.rule_id} is at position {result.position}"
    )
    if applied.warnings is None:
        run.conditions.keep_previous("Warnings")
        if run.conditions.get("Warnings") is None:
            run.conditions.false(
                "Warnings", IncidentRuleReason.NO_WARNINGS, "PagerDuty returned no warnings"
            )
    elif applied.warnings:
        messages = "; ".join(
            f"{w.get('feature') or w.get('warning_type')}: {w.get('message')}"
            for w in applied.warnings
        )
        run.conditions.true("Warnings", "PlanWarnings", messages)
        run.event("Warning", "PlanWarnings", messages)
    else:
        run.conditions.false(
            "Warnings", IncidentRuleReason.NO_WARNINGS, "PagerDuty returned no warnings"
        )


async def _orchestration_active(
    run: RuleRun, spec: IncidentRuleSpec, client: PagerDutyClient, service_id: str, observe: bool
) -> None:
    rules = run.ctx.rules
    active = await rules.service_active(client, service_id, (INCIDENT_RULE.plural, *run.key))
    if not active and spec.activate_service_orchestration and not observe:
        active = await client.orchestrations.set_service_active(service_id, True)
        rules.active_written(client, service_id, active)
        run.event("Normal", "Activated", f"service {service_id} now evaluates its orchestration")
    if active:
        run.conditions.true(
            "OrchestrationActive", "Active", f"service {service_id} evaluates its orchestration"
        )
    else:
        run.conditions.false(
            "OrchestrationActive",
            IncidentRuleReason.INACTIVE,
            f"service {service_id} evaluates its legacy ruleset, not its orchestration; "
            "set activateServiceOrchestration: true",
        )


async def finalize_incident_rule(ctx: ReconcileContext, body: dict[str, Any]) -> None:
    """On deletion: remove the rule (Delete), or leave it without our marker (Orphan)."""
    try:
        spec = IncidentRuleSpec.model_validate(body.get("spec") or {})
    except ValidationError:
        return
    if spec.management_policy == "Observe":
        return
    run = Run(SCAFFOLD, ctx, body)
    try:
        connection = await ctx.clients.for_integration(run.namespace, spec.integration_ref.name)
    except IntegrationUnavailable as problem:
        cached = ctx.clients.cached(run.namespace, spec.integration_ref.name)
        if cached is None:
            if problem.reason == SharedReason.INTEGRATION_NOT_FOUND and not run.previous.get(
                "ruleId"
            ):
                return  # no integration to have made a rule with, and none recorded
            raise
        connection = cached
    try:
        ref = rule_path(spec, connection.service_id, spec.integration_ref.name)
    except TargetProblem:
        return  # never had a valid path, so never made a rule
    known_id = run.previous.get("ruleId")
    left = previous_path(run.previous, ref)  # a move not finished: both paths
    paths = [(left, known_id), (ref, None)] if left else [(ref, known_id)]
    for path, path_known_id in paths:
        change = (
            Release(run.key, path_known_id)
            if spec.deletion_policy == "Orphan"
            else Remove(run.key, path_known_id)
        )
        try:
            applied = await ctx.paths.submit(connection.rest(), path, change)
        except NotFoundError:
            continue  # the service or orchestration is gone, and the rule with it
        if applied.result.found and spec.deletion_policy == "Delete":
            run.event("Normal", "Deleted", f"deleted rule {applied.result.rule_id}")
