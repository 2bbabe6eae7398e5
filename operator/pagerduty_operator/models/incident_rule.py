"""PagerDutyIncidentRule spec and status models, mirroring its CRD in crds/."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from pagerduty_operator.models.common import (
    PAGERDUTY_ID_PATTERN,
    DeletionPolicy,
    IntegrationRef,
    KindStatus,
    ManagementPolicy,
    OrchestrationId,
    PagerDutyId,
    SpecModel,
    StatusModel,
    list_type,
    unique_by,
)

PCL_MAX_BYTES = 2048
"""PagerDuty's limit on one PCL condition."""

SET_ID_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$"
START_SET = "start"

PathType = Literal["service", "global", "router"]
Severity = Literal["info", "warning", "error", "critical"]
EventAction = Literal["trigger", "resolve"]

SetId = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=SET_ID_PATTERN)]


def _pcl_bytes(expression: str) -> str:
    if len(expression.encode()) > PCL_MAX_BYTES:
        raise ValueError(f"a PCL condition is at most {PCL_MAX_BYTES} bytes")
    return expression


PclCondition = Annotated[
    str, StringConstraints(min_length=1, max_length=PCL_MAX_BYTES), AfterValidator(_pcl_bytes)
]


class ServiceTarget(SpecModel):
    """A service orchestration."""

    id: PagerDutyId


class OrchestrationTarget(SpecModel):
    """A global orchestration's global rules, or its router."""

    orchestration_id: OrchestrationId


class RuleTarget(SpecModel):
    """The path holding the rule: exactly one of service, global, router."""

    service: ServiceTarget | None = None
    global_: OrchestrationTarget | None = Field(default=None, alias="global")
    router: OrchestrationTarget | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RuleTarget:
        chosen = [t for t in (self.service, self.global_, self.router) if t is not None]
        if len(chosen) != 1:
            raise ValueError("target: exactly one of service, global or router must be set")
        return self

    @property
    def path_type(self) -> PathType:
        """The orchestration path type."""
        if self.router is not None:
            return "router"
        if self.global_ is not None:
            return "global"
        return "service"

    @property
    def path_id(self) -> str:
        """The service id or orchestration id of the path."""
        if self.service is not None:
            return self.service.id
        chosen = self.global_ or self.router
        assert chosen is not None  # guaranteed by _exactly_one
        return chosen.orchestration_id


class Variable(SpecModel):
    """A variable extracted from the event with a regex."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]
    path: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    type: Literal["regex"] | None = None
    """Only `regex`; omitted means `regex` (no default inside a list item, see the CRD)."""
    value: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class Extraction(SpecModel):
    """Set an event field from a template, or from a regex applied to a source field."""

    target: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    template: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    regex: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    source: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None

    @model_validator(mode="after")
    def _template_or_regex(self) -> Extraction:
        if (self.template is None) == (self.regex is None):
            raise ValueError("extractions: exactly one of template or regex must be set")
        if (self.regex is None) != (self.source is None):
            raise ValueError(
                "extractions: source is required with regex and not allowed with template"
            )
        return self


class CustomFieldUpdate(SpecModel):
    """Set one incident custom field."""

    id: PagerDutyId
    value: Annotated[str, StringConstraints(max_length=1024)]


def _variable_name(v: Variable) -> str:
    return v.name


def _field_id(u: CustomFieldUpdate) -> str:
    return u.id


class RuleActions(SpecModel):
    """What happens to matching events; validated per path type by ``IncidentRuleSpec``."""

    route_to: SetId | None = None
    severity: Severity | None = None
    priority: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    suppress: bool | None = None
    suspend: Annotated[int, Field(ge=0, le=2147483647)] | None = None
    event_action: EventAction | None = None
    annotate: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    escalation_policy: PagerDutyId | None = None
    drop_event: bool | None = None
    variables: (
        Annotated[
            list[Variable],
            Field(max_length=32),
            list_type("map", ["name"]),
            AfterValidator(unique_by(_variable_name, "variable name")),
        ]
        | None
    ) = None
    extractions: Annotated[list[Extraction], Field(max_length=32), list_type("atomic")] | None = (
        None
    )
    incident_custom_field_updates: (
        Annotated[
            list[CustomFieldUpdate],
            Field(max_length=32),
            list_type("map", ["id"]),
            AfterValidator(unique_by(_field_id, "custom field id")),
        ]
        | None
    ) = None

    def set_fields_other_than_route_to(self) -> list[str]:
        """The camelCase names of the actions set here, except routeTo (a router allows only it)."""
        return [
            str(info.alias or name)
            for name, info in type(self).model_fields.items()
            if name != "route_to" and getattr(self, name) is not None
        ]


class IncidentRuleSpec(SpecModel):
    """``PagerDutyIncidentRule.spec``."""

    integration_ref: IntegrationRef
    target: RuleTarget | None = None
    set: SetId = START_SET
    order: Annotated[int, Field(ge=-1000000, le=1000000)] = 0
    label: Annotated[str, StringConstraints(max_length=200)] | None = None
    disabled: bool = False
    conditions: Annotated[list[PclCondition], Field(max_length=64), list_type("atomic")] | None = (
        None
    )
    actions: RuleActions | None = None
    activate_service_orchestration: bool = False
    adopt_id: OrchestrationId | None = None
    deletion_policy: DeletionPolicy = "Delete"
    management_policy: ManagementPolicy = "Manage"

    @property
    def path_type(self) -> PathType:
        """The orchestration path type, after defaulting (no target means a service)."""
        return "service" if self.target is None else self.target.path_type

    @model_validator(mode="after")
    def _actions_allowed_on_path(self) -> IncidentRuleSpec:
        path = self.path_type
        actions = self.actions
        if path == "router":
            if self.set != START_SET:
                raise ValueError("set: a router has only the start set")
            if actions is None or actions.route_to is None:
                raise ValueError("actions.routeTo: a router rule must route to a service id")
            if not re.fullmatch(PAGERDUTY_ID_PATTERN, actions.route_to):
                raise ValueError("actions.routeTo: on a router, routeTo must be a service id")
            forbidden = actions.set_fields_other_than_route_to()
            if forbidden:
                raise ValueError(
                    f"actions.{forbidden[0]}: not allowed on a router rule (only routeTo is)"
                )
        elif actions is not None and actions.route_to == self.set:
            raise ValueError("actions.routeTo: must name another rule set than the rule's own set")
        if actions is not None and actions.drop_event is not None and path != "global":
            raise ValueError("actions.dropEvent: allowed only on a global orchestration")
        if self.activate_service_orchestration and path != "service":
            raise ValueError("activateServiceOrchestration: applies only to a service target")
        return self


class RulePath(StatusModel):
    """The orchestration path holding the rule."""

    type: PathType | None = None
    id: Annotated[str, StringConstraints(max_length=64)] | None = None


class IncidentRuleStatus(KindStatus):
    """``PagerDutyIncidentRule.status``."""

    rule_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    path: RulePath | None = None
    set: Annotated[str, StringConstraints(max_length=63)] | None = None
    position: Annotated[int, Field(ge=0)] | None = None
