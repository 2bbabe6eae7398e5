"""PagerDuty's refusals of a rule, worded in the fields of the resource that asked for it.

PagerDuty answers the operator's calls, not the person's YAML: a missing service is
"GET /event_orchestrations/services/{id}, HTTP 404" (a path template, without the id), and a
refused rule is "sets[0].rules[1].actions.route_to must be ..." (a position in the operator's
combined PUT of the whole path). The coordinator splits a refused PUT until one rule fails
alone, so a refusal that reaches a rule's reconcile is about that rule: these functions name its
own field (`spec.target.service.id`, `spec.actions.routeTo`) and the bad value instead.
"""

from __future__ import annotations

import re

from pydantic.alias_generators import to_camel

from pagerduty_operator.models.incident_rule import IncidentRuleSpec
from pagerduty_operator.models.reasons import Problem, SharedReason
from pagerduty_operator.pagerduty import (
    InvalidInputError,
    NotFoundError,
    PagerDutyError,
    UnknownPriorityError,
)
from pagerduty_operator.reconcile.rule_coordinator import PathRef

# A field of one rule in a path's PUT body: `sets[0].rules[1].actions.route_to ...`.
_RULE_FIELD = re.compile(r"\bsets\[\d+\]\.rules\[\d+\]\.([A-Za-z_][\w.\[\]]*)")
_PATH_NAMES = {
    "service": "service",
    "global": "global event orchestration",
    "router": "event orchestration",
}


class RuleRefused(Problem):
    """PagerDuty refused the rule or its path; the message names the resource's field."""


def target_field(spec: IncidentRuleSpec, ref: PathRef, integration: str) -> str:
    """The field of the resource (or its integration) that names the path `ref`."""
    if spec.target is None:
        return f"spec.serviceId of PagerDutyIntegration {integration!r}"
    if ref.kind == "service":
        return "spec.target.service.id"
    return f"spec.target.{ref.kind}.orchestrationId"


def spec_field(spec: IncidentRuleSpec, pagerduty_field: str) -> str:
    """`actions.route_to` -> `spec.actions.routeTo 'PXXXXXX' (actions.route_to in PagerDuty's API)`.

    The value is shown when it is the spec's; PagerDuty's name of the field follows when it
    differs, for whoever compares with PagerDuty's documentation or UI.
    """
    head, _, rest = pagerduty_field.partition(".")
    if head == "actions" and rest:
        name = re.split(r"[.\[]", rest, maxsplit=1)[0]
        tail = rest[len(name) :]
        value = getattr(spec.actions, name, None) if spec.actions is not None else None
        shown = f" {value!r}" if isinstance(value, str | int | bool) else ""
        camel = to_camel(name)
        api_name = f" (actions.{name} in PagerDuty's API)" if camel != name else ""
        return f"spec.actions.{camel}{tail}{shown}{api_name}"
    return "spec." + ".".join(to_camel(part) for part in pagerduty_field.split("."))


def _in_spec_terms(spec: IncidentRuleSpec, detail: str) -> str:
    return _RULE_FIELD.sub(lambda m: spec_field(spec, m.group(1)), detail)


def explain(
    error: PagerDutyError, spec: IncidentRuleSpec, ref: PathRef, integration: str
) -> PagerDutyError | Problem:
    """`error` reworded as a `RuleRefused` when it is about the rule or its path, else itself."""
    if isinstance(error, NotFoundError) and not isinstance(error, UnknownPriorityError):
        what = _PATH_NAMES[ref.kind]
        return RuleRefused(
            SharedReason.NOT_FOUND,
            f"{target_field(spec, ref, integration)}: {what} {ref.id!r} does not exist in "
            f"PagerDuty or is not visible to these credentials ({error.message})",
        )
    if isinstance(error, InvalidInputError):
        details = [_in_spec_terms(spec, d) for d in error.errors] or [error.message]
        return RuleRefused(
            SharedReason.INVALID_INPUT,
            f"PagerDuty refused the rule in the {ref.kind} path {ref.id}: {'; '.join(details)}",
        )
    return error
