"""The full state as JSON for `GET /_simulator/state`, secrets included (it is a test tool)."""

from __future__ import annotations

from pagerduty_simulator.models import JSON, Account, OrchestrationPath, Rule
from pagerduty_simulator.state import SimulatorState


def _rule(rule: Rule) -> JSON:
    """A rule as stored: only the actions that are set (reads add every default)."""
    return {
        "id": rule.id,
        "label": rule.label,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "disabled": rule.disabled,
    }


def _path(path: OrchestrationPath) -> JSON:
    return {
        "sets": [{"id": s.id, "rules": [_rule(rule) for rule in s.rules]} for s in path.sets],
        "catch_all": path.catch_all,
        "version": path.version,
        "updated_at": path.updated_at,
        "updated_by": path.updated_by,
    }


def dump_account(account: Account) -> JSON:
    return {
        "id": account.id,
        "subdomain": account.subdomain,
        "region": account.region,
        "name": account.name,
        "abilities": list(account.abilities),
        "disabled_features": list(account.disabled_features),
        "users": [vars(user) for user in account.users.values()],
        "teams": [vars(team) for team in account.teams.values()],
        "escalation_policies": [vars(policy) for policy in account.escalation_policies.values()],
        "priorities": [vars(priority) for priority in account.priorities],
        "services": [
            {
                "id": service.id,
                "name": service.name,
                "description": service.description,
                "escalation_policy": service.escalation_policy_id,
                "teams": service.team_ids,
                "status": service.status,
                "orchestration_active": service.orchestration_active,
                "integrations": [vars(i) for i in service.integrations.values()],
                "orchestration": _path(service.orchestration),
                "settings": {
                    "acknowledgement_timeout": service.acknowledgement_timeout,
                    "auto_resolve_timeout": service.auto_resolve_timeout,
                    "incident_urgency_rule": service.incident_urgency_rule,
                    "support_hours": service.support_hours,
                    "scheduled_actions": service.scheduled_actions,
                    "alert_creation": service.alert_creation,
                    "alert_grouping_parameters": service.alert_grouping_parameters,
                    "auto_pause_notifications_parameters": (
                        service.auto_pause_notifications_parameters
                    ),
                },
            }
            for service in account.services.values()
        ],
        "orchestrations": [
            {
                "id": o.id,
                "name": o.name,
                "description": o.description,
                "team": o.team_id,
                "integrations": [vars(entry) for entry in o.integrations],
                "router": _path(o.router),
                "global": _path(o.global_),
                "unrouted": _path(o.unrouted),
            }
            for o in account.orchestrations.values()
        ],
        "webhook_subscriptions": [
            {
                "id": w.id,
                "delivery_method_id": w.delivery_method_id,
                "url": w.url,
                "custom_headers": [{"name": h.name, "value": h.value} for h in w.custom_headers],
                "secret": w.secret,
                "description": w.description,
                "events": w.events,
                "filter": {"type": w.filter_type, "id": w.filter_id},
                "active": w.active,
                "temporarily_disabled": w.temporarily_disabled,
                "consecutive_drops": w.consecutive_drops,
                "created_at": w.created_at,
            }
            for w in account.webhooks.values()
        ],
        "incidents": [vars(incident) for incident in account.incidents.values()],
        "api_keys": [vars(key) for key in account.api_keys],
        "oauth_apps": [{**vars(app), "scopes": sorted(app.scopes)} for app in account.oauth_apps],
        "oauth_refresh_tokens": [
            {**vars(token), "scopes": sorted(token.scopes)} for token in account.refresh_tokens
        ],
        "oauth_access_tokens": [
            {**vars(token), "scopes": sorted(token.scopes)} for token in account.access_tokens
        ],
    }


def dump_state(state: SimulatorState) -> JSON:
    return {
        "now": state.clock.iso(),
        "clock_offset_seconds": state.clock.offset,
        "origins": dict(state.origins),
        "accounts": [dump_account(account) for account in state.accounts.values()],
    }
