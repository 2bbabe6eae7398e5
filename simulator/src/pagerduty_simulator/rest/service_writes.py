"""`POST /services`, `PUT /services/{id}` (partial bodies) and `DELETE /services/{id}`.

A body is validated in full before anything changes, so a 400 leaves the service as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from pagerduty_simulator import service_config as config
from pagerduty_simulator.errors import invalid_input, json_response
from pagerduty_simulator.incidents import service_event
from pagerduty_simulator.models import JSON, Account, Service
from pagerduty_simulator.orchestration_paths import empty_path
from pagerduty_simulator.rest.context import Endpoint, RestContext
from pagerduty_simulator.rest.services import WRITE, find_service, render_service

SERVICE_STATUSES = ("active", "warning", "critical", "maintenance", "disabled")
# The uniqueness message PagerDuty's Rails validations produce ("... has already been taken",
# as in "Escalation Policy has already been taken" in PagerDuty's error documentation).
NAME_TAKEN = "Name has already been taken"
ANSWER_INCLUDES = {"auto_pause_notifications_parameters"}


@dataclass
class Settings:
    """Everything a body may set, starting from the service's current values."""

    name: str
    description: str
    escalation_policy_id: str
    team_ids: list[str]
    status: str
    auto_resolve_timeout: int | None
    acknowledgement_timeout: int | None
    incident_urgency_rule: JSON
    support_hours: JSON | None
    scheduled_actions: list[JSON]
    alert_creation: str
    alert_grouping_parameters: JSON
    auto_pause_notifications_parameters: JSON
    touched: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, service: Service) -> Settings:
        return cls(
            name=service.name,
            description=service.description,
            escalation_policy_id=service.escalation_policy_id,
            team_ids=list(service.team_ids),
            status=service.status,
            auto_resolve_timeout=service.auto_resolve_timeout,
            acknowledgement_timeout=service.acknowledgement_timeout,
            incident_urgency_rule=service.incident_urgency_rule,
            support_hours=service.support_hours,
            scheduled_actions=service.scheduled_actions,
            alert_creation=service.alert_creation,
            alert_grouping_parameters=service.alert_grouping_parameters,
            auto_pause_notifications_parameters=service.auto_pause_notifications_parameters,
        )

    def apply_to(self, service: Service) -> None:
        for name in (
            "name",
            "description",
            "escalation_policy_id",
            "team_ids",
            "status",
            "auto_resolve_timeout",
            "acknowledgement_timeout",
            "incident_urgency_rule",
            "support_hours",
            "scheduled_actions",
            "alert_creation",
            "alert_grouping_parameters",
            "auto_pause_notifications_parameters",
        ):
            setattr(service, name, getattr(self, name))


def _service_input(body: dict[str, Any]) -> dict[str, Any]:
    inner = body.get("service")
    if not isinstance(inner, dict):
        raise invalid_input("service is required")
    return inner


def _reference_id(value: Any, name: str) -> str:
    wanted = value.get("id") if isinstance(value, dict) else None
    if not isinstance(wanted, str) or not wanted:
        raise invalid_input(f"{name} must be a reference with an id")
    return wanted


def _identity(account: Account, service_id: str | None, raw: dict[str, Any], s: Settings) -> None:
    if "name" in raw:
        name = raw["name"]
        if not isinstance(name, str) or not name.strip():
            raise invalid_input("Name can't be blank")
        s.name = name
    if any(
        other.name.lower() == s.name.lower() and other.id != service_id
        for other in account.services.values()
    ):
        raise invalid_input(NAME_TAKEN)
    if "description" in raw:
        description = raw["description"]
        if description is not None and not isinstance(description, str):
            raise invalid_input("description must be a string")
        s.description = description or ""
    if "escalation_policy" in raw:
        policy_id = _reference_id(raw["escalation_policy"], "escalation_policy")
        if policy_id not in account.escalation_policies:
            raise invalid_input(f"Escalation policy {policy_id} not found")
        s.escalation_policy_id = policy_id
    if "teams" in raw:
        teams = raw["teams"]
        if teams is None:
            teams = []
        if not isinstance(teams, list):
            raise invalid_input("teams must be an array of team references")
        team_ids = [_reference_id(team, f"teams[{i}]") for i, team in enumerate(teams)]
        unknown = [team_id for team_id in team_ids if team_id not in account.teams]
        if unknown:
            raise invalid_input(f"Team {unknown[0]} not found")
        s.team_ids = list(dict.fromkeys(team_ids))


def _settings(raw: dict[str, Any], s: Settings, *, creating: bool) -> None:
    if "status" in raw:
        if raw["status"] not in SERVICE_STATUSES:
            raise invalid_input(f"status must be one of {', '.join(SERVICE_STATUSES)}")
        if creating and raw["status"] != "active":
            raise invalid_input("status must be active when creating a service")
        s.status = str(raw["status"])
    for name in ("auto_resolve_timeout", "acknowledgement_timeout"):
        if name in raw:
            setattr(s, name, config.timeout_seconds(raw[name], name))
    if "incident_urgency_rule" in raw:
        s.incident_urgency_rule = config.urgency_rule(raw["incident_urgency_rule"])
        if s.incident_urgency_rule["type"] == "use_support_hours":
            if "scheduled_actions" not in raw:
                raise invalid_input(
                    "scheduled_actions is required when incident_urgency_rule.type is "
                    "use_support_hours (it may be [])"
                )
        elif "support_hours" not in raw:
            s.support_hours, s.scheduled_actions = None, []
    if "support_hours" in raw:
        s.support_hours = config.support_hours(raw["support_hours"])
    if "scheduled_actions" in raw:
        s.scheduled_actions = config.scheduled_actions(raw["scheduled_actions"])
    config.check_urgency_setup(s.incident_urgency_rule, s.support_hours, s.scheduled_actions)
    if "alert_creation" in raw:
        s.alert_creation = config.alert_creation(raw["alert_creation"])
    if "alert_grouping_parameters" in raw:
        s.alert_grouping_parameters = config.alert_grouping(raw["alert_grouping_parameters"])
    if "auto_pause_notifications_parameters" in raw:
        s.auto_pause_notifications_parameters = config.auto_pause(
            raw["auto_pause_notifications_parameters"]
        )


def read_settings(
    account: Account, service: Service, raw: dict[str, Any], *, creating: bool
) -> Settings:
    """The service's settings after `raw`, validated as a whole (nothing is changed yet)."""
    settings = Settings.of(service)
    _identity(account, None if creating else service.id, raw, settings)
    _settings(raw, settings, creating=creating)
    return settings


async def create_service(ctx: RestContext) -> web.StreamResponse:
    raw = _service_input(await ctx.json_object())
    if "name" not in raw:
        raise invalid_input("Name can't be blank")
    if raw.get("escalation_policy") is None:
        raise invalid_input("Escalation policy can't be blank")
    now = ctx.state.clock.iso()
    draft = Service(
        id="",
        name=str(raw["name"]),
        description="",
        escalation_policy_id="",
        team_ids=[],
        created_at=now,
        orchestration=empty_path("service", "", now, ctx.actor),
        # Unset timeouts in a POST disable the feature (the spec's field descriptions).
        auto_resolve_timeout=None,
        acknowledgement_timeout=None,
    )
    settings = read_settings(ctx.account, draft, raw, creating=True)
    if "teams" not in raw:
        policy = ctx.account.escalation_policies[settings.escalation_policy_id]
        settings.team_ids = list(policy.team_ids)
    service_id = ctx.state.new_id()
    draft.id = service_id
    draft.orchestration = empty_path("service", service_id, now, ctx.actor)
    settings.apply_to(draft)
    ctx.account.services[service_id] = draft
    service_event(ctx.state, ctx.account, draft, "service.created")
    rendered = render_service(ctx.account, draft, ctx.origin, ANSWER_INCLUDES)
    return json_response({"service": rendered}, status=201)


async def update_service(ctx: RestContext) -> web.StreamResponse:
    service = find_service(ctx.account, ctx.param("id"))
    raw = _service_input(await ctx.json_object())
    read_settings(ctx.account, service, raw, creating=False).apply_to(service)
    service_event(ctx.state, ctx.account, service, "service.updated")
    rendered = render_service(ctx.account, service, ctx.origin, ANSWER_INCLUDES)
    return json_response({"service": rendered})


async def delete_service(ctx: RestContext) -> web.StreamResponse:
    """204 even with open incidents: PagerDuty documents no refusal (docs/simulator.md)."""
    service = find_service(ctx.account, ctx.param("id"))
    service_event(ctx.state, ctx.account, service, "service.deleted")
    del ctx.account.services[service.id]
    return web.Response(status=204)


ENDPOINTS = [
    Endpoint("POST", "/services", WRITE, create_service),
    Endpoint("PUT", "/services/{id}", WRITE, update_service),
    Endpoint("DELETE", "/services/{id}", WRITE, delete_service),
]
