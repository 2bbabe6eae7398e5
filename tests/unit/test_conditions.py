"""Condition lists keep transition times of unchanged conditions and carry the generation."""

from __future__ import annotations

from pagerduty_operator.reconcile.conditions import ConditionSet


def test_new_conditions_get_a_transition_time_and_generation() -> None:
    conditions = ConditionSet([], generation=3)
    conditions.true("Synced", "Synced", "in sync")
    conditions.false("Ready", "IntegrationNotReady", "integration x is not ready")
    listed = conditions.as_list(order=["Ready"])
    assert [c["type"] for c in listed] == ["Ready", "Synced"]
    assert all(c["observedGeneration"] == 3 for c in listed)
    assert all(c["lastTransitionTime"].endswith("Z") for c in listed)


def test_unchanged_status_keeps_its_transition_time_and_changed_gets_a_new_one() -> None:
    old = [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"},
        {"type": "Synced", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"},
    ]
    conditions = ConditionSet(old, generation=1)
    conditions.true("Ready", "Ready", "")
    conditions.false("Synced", "PagerDutyError", "boom")
    by_type = {c["type"]: c for c in conditions.as_list()}
    assert by_type["Ready"]["lastTransitionTime"] == "2020-01-01T00:00:00Z"
    assert by_type["Synced"]["lastTransitionTime"] != "2020-01-01T00:00:00Z"


def test_first_not_true_names_the_blocking_condition() -> None:
    conditions = ConditionSet([], generation=1)
    conditions.true("CredentialsValid", "Valid", "")
    conditions.false("ScopesGranted", "MissingScopes", "webhook_subscriptions_write is missing")
    blocking = conditions.first_not_true(["CredentialsValid", "ScopesGranted"])
    assert blocking is not None
    assert blocking.type == "ScopesGranted"
    assert conditions.first_not_true(["CredentialsValid"]) is None
