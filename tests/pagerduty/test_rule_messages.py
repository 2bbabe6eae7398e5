"""PagerDuty's refusals of a rule name the resource's own field and the bad value.

The errors come from the in-process simulator through the real client and path coordinator, so
their shapes (a path template in a 404, a position in the combined PUT) are those the operator
meets; `explain` must turn them into the resource's terms.
"""

from __future__ import annotations

from typing import Any

import pytest
from pd_sim_helpers import LinkedClock

from pagerduty_operator.models.incident_rule import IncidentRuleSpec
from pagerduty_operator.models.reasons import SharedReason
from pagerduty_operator.pagerduty import (
    InvalidInputError,
    NotFoundError,
    PagerDutyClient,
    PagerDutyError,
)
from pagerduty_operator.reconcile.rule_coordinator import PathCoordinator, PathRef
from pagerduty_operator.reconcile.rule_desired import DesiredRule
from pagerduty_operator.reconcile.rule_messages import RuleRefused, explain
from pagerduty_operator.reconcile.rule_path_edit import Upsert
from support.sim_seed import ACME_GLOBAL

OWNER = ("team-a", "storefront")


def _spec(**fields: Any) -> IncidentRuleSpec:
    return IncidentRuleSpec.model_validate({"integrationRef": {"name": "pd"}, **fields})


async def _refusal(
    pd: PagerDutyClient, clock: LinkedClock, ref: PathRef, spec: IncidentRuleSpec
) -> PagerDutyError:
    paths = PathCoordinator(clock)
    desired = DesiredRule.build(spec, OWNER, None)
    with pytest.raises(PagerDutyError) as caught:
        await paths.submit(pd, ref, Upsert(desired, None))
    return caught.value


async def test_a_missing_service_names_the_target_field_and_id(
    pd: PagerDutyClient, clock: LinkedClock
) -> None:
    spec = _spec(target={"service": {"id": "PNOSUCH"}}, conditions=["event.summary matches 'x'"])
    ref = PathRef("service", "PNOSUCH")
    error = await _refusal(pd, clock, ref, spec)
    assert isinstance(error, NotFoundError)
    assert "{id}" in str(error)  # what PagerDuty's answer alone would say
    explained = explain(error, spec, ref, "pd")
    assert isinstance(explained, RuleRefused)
    assert explained.reason == SharedReason.NOT_FOUND
    assert explained.message.startswith("spec.target.service.id: service 'PNOSUCH' ")
    assert "{id}" not in explained.message


async def test_a_rule_without_target_names_its_integrations_service(
    pd: PagerDutyClient, clock: LinkedClock
) -> None:
    spec = _spec(conditions=["event.summary matches 'x'"])
    ref = PathRef("service", "PGONE01")
    explained = explain(await _refusal(pd, clock, ref, spec), spec, ref, "checkout")
    assert isinstance(explained, RuleRefused)
    assert explained.message.startswith(
        "spec.serviceId of PagerDutyIntegration 'checkout': service 'PGONE01' "
    )


async def test_a_route_to_an_unknown_service_names_spec_actions_route_to(
    pd: PagerDutyClient, clock: LinkedClock
) -> None:
    spec = _spec(
        target={"router": {"orchestrationId": ACME_GLOBAL}},
        conditions=["event.source matches part 'storefront-'"],
        actions={"routeTo": "PNOSUCH"},
    )
    ref = PathRef("router", ACME_GLOBAL)
    error = await _refusal(pd, clock, ref, spec)
    assert isinstance(error, InvalidInputError)
    assert any("actions.route_to" in detail for detail in error.errors)
    explained = explain(error, spec, ref, "pd")
    assert isinstance(explained, RuleRefused)
    assert explained.reason == SharedReason.INVALID_INPUT
    assert explained.message == (
        f"PagerDuty refused the rule in the router path {ACME_GLOBAL}: spec.actions.routeTo "
        "'PNOSUCH' (actions.route_to in PagerDuty's API) must be the id of a service of this "
        "account"
    )
    assert "sets[" not in explained.message


async def test_other_errors_pass_through_unchanged(pd: PagerDutyClient) -> None:
    spec = _spec(conditions=["event.summary matches 'x'"])
    error = PagerDutyError("boom", status=500, method="PUT", path="/event_orchestrations/{id}")
    assert explain(error, spec, PathRef("global", "abc"), "pd") is error
