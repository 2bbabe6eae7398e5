"""Edit an orchestration path's sets for a batch of rule changes, keeping everyone else's rules.

A pure function over PagerDuty's `sets` list: rules the operator does not own are neither changed
nor reordered among themselves (their dicts travel back as they came); the operator's rules come
first in each set, sorted by (`order`, namespace/name) from their markers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pagerduty_operator.reconcile.rule_desired import (
    DesiredRule,
    Owner,
    parse_marker,
    sort_key,
    strip_marker,
)

START_SET = "start"


@dataclass(frozen=True)
class Upsert:
    """Make the owner's rule match `rule` (create, update, move between sets, adopt)."""

    rule: DesiredRule
    known_id: str | None = None

    @property
    def owner(self) -> Owner:
        return self.rule.owner


@dataclass(frozen=True)
class Inspect:
    """Compare only (managementPolicy Observe): never changes the path."""

    rule: DesiredRule
    known_id: str | None = None

    @property
    def owner(self) -> Owner:
        return self.rule.owner


@dataclass(frozen=True)
class Remove:
    """Delete the owner's rule (deletionPolicy Delete)."""

    owner: Owner
    known_id: str | None = None


@dataclass(frozen=True)
class Release:
    """Leave the rule but drop the operator's marker (deletionPolicy Orphan)."""

    owner: Owner
    known_id: str | None = None


Change = Upsert | Inspect | Remove | Release


@dataclass
class RuleResult:
    """Where the owner's rule is after the edit, and what differed."""

    rule_id: str | None = None
    set_id: str | None = None
    position: int | None = None
    differences: list[str] = field(default_factory=list)
    found: bool = False


def _owner_of(rule: dict[str, Any]) -> Owner | None:
    marked = parse_marker(rule.get("label"))
    return marked[0] if marked else None


def _locate(
    sets: list[dict[str, Any]], owner: Owner, known_ids: set[str]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(set, rule) pairs owned by `owner`: by marker, or by a known id on an unmarked rule."""
    found = []
    for rule_set in sets:
        for rule in rule_set.get("rules") or []:
            owner_of = _owner_of(rule)
            if owner_of == owner or (owner_of is None and rule.get("id") in known_ids):
                found.append((rule_set, rule))
    return found


def _set_named(sets: list[dict[str, Any]], set_id: str) -> dict[str, Any]:
    for rule_set in sets:
        if rule_set.get("id") == set_id:
            return rule_set
    created: dict[str, Any] = {"id": set_id, "rules": []}
    sets.append(created)
    return created


def _remove_rule(rule_set: dict[str, Any], rule: dict[str, Any]) -> None:
    rule_set["rules"] = [r for r in rule_set.get("rules") or [] if r is not rule]


def _sort_set(rule_set: dict[str, Any]) -> None:
    rules = list(rule_set.get("rules") or [])
    owned = [(parse_marker(r.get("label")), r) for r in rules]
    ours = sorted(
        ((m, r) for m, r in owned if m is not None),
        key=lambda mr: sort_key(*mr[0]),
    )
    theirs = [r for m, r in owned if m is None]
    rule_set["rules"] = [r for _, r in ours] + theirs


def _referenced_sets(sets: list[dict[str, Any]], catch_all: dict[str, Any] | None) -> set[str]:
    targets = set()
    for rule_set in sets:
        for rule in rule_set.get("rules") or []:
            route = (rule.get("actions") or {}).get("route_to")
            if isinstance(route, str):
                targets.add(route)
    route = ((catch_all or {}).get("actions") or {}).get("route_to")
    if isinstance(route, str):
        targets.add(route)
    return targets


def locate_results(sets: list[dict[str, Any]], owners: list[Owner]) -> dict[Owner, RuleResult]:
    """Where each owner's rule sits in `sets` (e.g. in the path PagerDuty returned)."""
    results = {owner: RuleResult() for owner in owners}
    for rule_set in sets:
        for position, rule in enumerate(rule_set.get("rules") or []):
            owner = _owner_of(rule)
            if owner in results and not results[owner].found:
                results[owner] = RuleResult(
                    rule_id=rule.get("id"), set_id=rule_set.get("id"), position=position, found=True
                )
    return results


def _add_route_targets(sets: list[dict[str, Any]]) -> None:
    """Create (empty) every set that one of our rules routes to and the path lacks.

    PagerDuty refuses a `route_to` that names no set of the path. Such a set goes again once
    it is empty and nothing routes to it.
    """
    present = {s.get("id") for s in sets}
    for rule_set in list(sets):
        for rule in rule_set.get("rules") or []:
            if _owner_of(rule) is None:
                continue
            route = (rule.get("actions") or {}).get("route_to")
            if isinstance(route, str) and route and route not in present:
                sets.append({"id": route, "rules": []})
                present.add(route)


def edit_sets(
    sets: list[dict[str, Any]],
    changes: list[Change],
    catch_all: dict[str, Any] | None = None,
    *,
    route_targets_are_sets: bool = True,
) -> tuple[list[dict[str, Any]], dict[Owner, RuleResult]]:
    """Apply `changes` to a copy of `sets`; return the new sets and a result per owner.

    `route_targets_are_sets`: `route_to` names a set of the path (service and global paths),
    so a missing one is created; on a router it names a service instead.
    """
    sets = copy.deepcopy(sets)
    results: dict[Owner, RuleResult] = {}
    # Sets this batch may have left empty or unreachable: removed if both (never `start`).
    emptied: set[str] = set()
    for change in changes:
        known = {i for i in (change.known_id,) if i}
        if isinstance(change, Upsert | Inspect) and change.rule.adopt_id:
            known.add(change.rule.adopt_id)
        located = _locate(sets, change.owner, known)
        result = RuleResult(found=bool(located))
        results[change.owner] = result
        if isinstance(change, Inspect):
            if located:
                keep_set, keep = located[0]
                result.rule_id, result.set_id = keep.get("id"), keep_set.get("id")
                result.differences = change.rule.differences(keep)
                if keep_set.get("id") != change.rule.set_id:
                    result.differences.append("set")
            continue
        if isinstance(change, Release):
            for _, rule in located:
                rule["label"] = strip_marker(rule.get("label")) or "/".join(change.owner)
            continue
        if isinstance(change, Remove):
            for rule_set, rule in located:
                _remove_rule(rule_set, rule)
                emptied.add(str(rule_set.get("id")))
                emptied.add(str((rule.get("actions") or {}).get("route_to")))
            continue
        desired = change.rule
        keep_pair = next(
            (p for p in located if p[1].get("id") in known), located[0] if located else None
        )
        for rule_set, rule in located:  # duplicates (for example after a lost status write)
            if keep_pair is None or rule is not keep_pair[1]:
                _remove_rule(rule_set, rule)
                emptied.add(str(rule_set.get("id")))
        if keep_pair is None:
            result.differences = ["created"]
            _set_named(sets, desired.set_id)["rules"].append(desired.body(None))
            continue
        old_set, old_rule = keep_pair
        emptied.add(str((old_rule.get("actions") or {}).get("route_to")))
        result.differences = desired.differences(old_rule)
        new_rule = desired.body(old_rule.get("id"))
        if old_set.get("id") == desired.set_id:
            if not result.differences:
                continue  # as PagerDuty returned it (with its defaults): no PUT for nothing
            old_set["rules"] = [new_rule if r is old_rule else r for r in old_set["rules"]]
        else:
            result.differences.append("set")
            _remove_rule(old_set, old_rule)
            emptied.add(str(old_set.get("id")))
            _set_named(sets, desired.set_id)["rules"].append(new_rule)
    for rule_set in sets:
        _sort_set(rule_set)
    if route_targets_are_sets:
        _add_route_targets(sets)
    referenced = _referenced_sets(sets, catch_all)
    sets = [
        s
        for s in sets
        if s.get("id") == START_SET
        or s.get("rules")
        or s.get("id") not in emptied
        or s.get("id") in referenced
    ]
    placed = locate_results(sets, list(results))
    for owner, result in results.items():
        where = placed[owner]
        if where.found:
            result.rule_id, result.set_id, result.position = (
                where.rule_id,
                where.set_id,
                where.position,
            )
    return sets, results
