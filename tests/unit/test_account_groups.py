"""Grouping credentials into PagerDuty accounts by overlapping subscription ids."""

from __future__ import annotations

from pagerduty_operator.reconcile.account_groups import AccountGroups


def test_unknown_credential_is_its_own_group() -> None:
    groups = AccountGroups()
    assert not groups.known("a")
    assert groups.members("a") == {"a"}
    assert groups.account("a") == "a"
    assert groups.listers("a") == ["a"]


def test_overlapping_listings_make_one_account() -> None:
    groups = AccountGroups()
    groups.observe("b", {"P1", "P2"})
    groups.observe("a", {"P2", "P3"})
    groups.observe("c", {"P9"})
    assert groups.members("a") == groups.members("b") == {"a", "b"}
    assert groups.account("b") == "a"
    assert groups.members("c") == {"c"}


def test_overlap_is_transitive() -> None:
    groups = AccountGroups()
    groups.observe("a", {"P1"})
    groups.observe("b", {"P1", "P2"})
    groups.observe("c", {"P2"})
    assert groups.members("c") == {"a", "b", "c"}


def test_empty_listings_are_no_evidence() -> None:
    groups = AccountGroups()
    groups.observe("a", set())
    groups.observe("b", set())
    assert groups.members("a") == {"a"}
    assert groups.members("b") == {"b"}


def test_credential_leaves_when_its_listing_stops_overlapping() -> None:
    groups = AccountGroups()
    groups.observe("a", {"P1", "P2"})
    groups.observe("b", {"P1"})
    assert groups.members("a") == {"a", "b"}
    groups.observe("b", {"Q7"})  # the key now belongs to another account
    assert groups.members("a") == {"a"}
    assert groups.members("b") == {"b"}


def test_revoked_credential_is_dropped_and_others_stay_grouped() -> None:
    groups = AccountGroups()
    for name in ("a", "b", "c"):
        groups.observe(name, {"P1"})
    groups.forget("b")
    assert not groups.known("b")
    assert groups.members("a") == {"a", "c"}
    assert groups.members("b") == {"b"}
    groups.forget("b")  # twice is harmless
    assert groups.members("c") == {"a", "c"}


def test_listers_rotate_through_the_group() -> None:
    groups = AccountGroups()
    for name in ("a", "b", "c"):
        groups.observe(name, {"P1"})
    firsts = [groups.listers("b")[0] for _ in range(4)]
    assert firsts == ["a", "b", "c", "a"]
    assert sorted(groups.listers("a")) == ["a", "b", "c"]
