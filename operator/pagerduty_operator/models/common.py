"""Shared building blocks: base models, constrained strings, refs, policies, conditions.

Every constraint here mirrors one in ``crds/*.yaml`` (patterns, lengths, enums, defaults); the sync
test in ``tests/unit/test_models_crd_sync.py`` walks both and fails when they drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
SECRET_KEY_PATTERN = r"^\.?[-_a-zA-Z0-9][-._a-zA-Z0-9]*$"
PAGERDUTY_ID_PATTERN = r"^[A-Z0-9]+$"
ORCHESTRATION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]*$"
CONDITION_TYPE_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"

ObjectName = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN)
]
"""A Kubernetes object name (DNS-1123 subdomain), e.g. of a Secret or a PagerDutyIntegration."""

SecretDataKey = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=SECRET_KEY_PATTERN)
]
"""A key inside a Secret's data."""

PagerDutyId = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=PAGERDUTY_ID_PATTERN)
]
"""A PagerDuty REST object id (service, team, escalation policy, webhook subscription...)."""

OrchestrationId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=ORCHESTRATION_ID_PATTERN)
]
"""An Event Orchestration id (a UUID) or an orchestration rule id."""

Region = Literal["us", "eu"]
DeletionPolicy = Literal["Delete", "Orphan"]
ManagementPolicy = Literal["Manage", "Observe"]
ConditionStatus = Literal["True", "False", "Unknown"]

T = TypeVar("T")


def unique_by(key: Callable[[T], object], what: str) -> Callable[[list[T]], list[T]]:
    """A list validator rejecting two items with the same ``key`` (the CRD's list-map keys)."""

    def check(items: list[T]) -> list[T]:
        seen: set[object] = set()
        for item in items:
            k = key(item)
            if k in seen:
                raise ValueError(f"duplicate {what}: {k!r}")
            seen.add(k)
        return items

    return check


def _identity(item: object) -> object:
    return item


def unique_set(what: str) -> AfterValidator:
    """The validator of a list the CRD declares ``x-kubernetes-list-type: set``."""
    return AfterValidator(unique_by(_identity, what))


def list_type(kind: Literal["set", "map", "atomic"], keys: Sequence[str] = ()) -> Any:
    """The CRD list-type markers as JSON-schema extras, so the sync test can compare them."""
    extra: dict[str, Any] = {"x-kubernetes-list-type": kind}
    if keys:
        extra["x-kubernetes-list-map-keys"] = list(keys)
    return Field(json_schema_extra=extra)


class SpecModel(BaseModel):
    """Base of every spec model: camelCase aliases, names accepted too, unknown fields refused.

    Strict, like the apiserver: ``"300"`` is not an integer and ``"true"`` is not a boolean.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
        strict=True,
    )


class StatusModel(BaseModel):
    """Base of every status model: like specs, but tolerant of fields written by other versions."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )


class SecretKeySelector(SpecModel):
    """One key of a Secret in the resource's own namespace."""

    name: ObjectName
    key: SecretDataKey


class SecretKeyRef(SpecModel):
    """``{secretKeyRef: {name, key}}``: a value read from a Secret."""

    secret_key_ref: SecretKeySelector


class SecretRef(SpecModel):
    """A whole Secret in the resource's own namespace, by name."""

    name: ObjectName


class IntegrationRef(SpecModel):
    """A PagerDutyIntegration in the resource's own namespace, by name."""

    name: ObjectName


class Condition(StatusModel):
    """A status condition shaped like ``metav1.Condition``."""

    type: Annotated[str, StringConstraints(max_length=316, pattern=CONDITION_TYPE_PATTERN)]
    status: ConditionStatus
    observed_generation: Annotated[int, Field(ge=0)] | None = None
    last_transition_time: datetime
    reason: Annotated[
        str, StringConstraints(min_length=1, max_length=1024, pattern=CONDITION_REASON_PATTERN)
    ]
    message: Annotated[str, StringConstraints(max_length=32768)]


Conditions = Annotated[
    list[Condition],
    Field(max_length=16),
    list_type("map", ["type"]),
    AfterValidator(unique_by(lambda c: c.type, "condition type")),
]
"""Conditions keyed by type, as the CRD's ``x-kubernetes-list-map-keys: [type]``."""


class KindStatus(StatusModel):
    """What every kind's status has: the generation seen, conditions, and the last sync."""

    observed_generation: Annotated[int, Field(ge=0)] | None = None
    conditions: Conditions | None = None
    last_sync_time: datetime | None = None
