"""Which credentials share a PagerDuty account, established by evidence only.

PagerDuty object ids are unique across accounts, so two credentials belong to the same account
exactly when a webhook subscription id seen in one's own unfiltered listing is also seen in the
other's. Nothing else (same URL, same subdomain, similar names) is taken as evidence. A
credential with no such overlap (new, an empty account, or one whose last listing stopped
overlapping) is its own group and lists for itself.

Pure bookkeeping, no I/O: the listings feed it what each credential saw (`observe`), and a
credential refused by PagerDuty is dropped (`forget`) until its next own listing succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable


class AccountGroups:
    """Groups of credentials (by fingerprint) whose own listings share a subscription id."""

    def __init__(self) -> None:
        self._seen: dict[str, frozenset[str]] = {}
        self._group: dict[str, frozenset[str]] = {}
        self._turn: dict[frozenset[str], int] = {}

    def observe(self, credential: str, subscription_ids: Iterable[str]) -> None:
        """Record the ids of `credential`'s own complete, unfiltered listing; regroup."""
        self._seen[credential] = frozenset(subscription_ids)
        self._regroup()

    def forget(self, credential: str) -> None:
        """Drop a refused (revoked) credential: it shares nothing until it lists again."""
        if self._seen.pop(credential, None) is not None:
            self._regroup()

    def known(self, credential: str) -> bool:
        """Whether `credential` has a listing of its own on record."""
        return credential in self._seen

    def members(self, credential: str) -> frozenset[str]:
        """Every credential known to share `credential`'s account (itself included)."""
        return self._group.get(credential, frozenset({credential}))

    def account(self, credential: str) -> str:
        """A stable name of `credential`'s group: its smallest member."""
        return min(self.members(credential))

    def listers(self, credential: str) -> list[str]:
        """Members in the order they should try the group's next shared listing.

        Rotates one step per call, so each interval another credential makes the listing (and
        meets its own refusal, if revoked), and a failed one falls back to the next member.
        """
        group = self.members(credential)
        ordered = sorted(group)
        turn = self._turn.get(group, 0)
        self._turn[group] = turn + 1
        start = turn % len(ordered)
        return ordered[start:] + ordered[:start]

    def _regroup(self) -> None:
        parent = {c: c for c in self._seen}

        def root(c: str) -> str:
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            return c

        owner: dict[str, str] = {}
        for credential, ids in sorted(self._seen.items()):
            for sid in ids:
                other = owner.setdefault(sid, credential)
                if other != credential:
                    parent[root(credential)] = root(other)
        groups: dict[str, set[str]] = {}
        for credential in self._seen:
            groups.setdefault(root(credential), set()).add(credential)
        self._group = {c: frozenset(g) for g in groups.values() for c in g}
        live = set(self._group.values())
        self._turn = {g: t for g, t in self._turn.items() if g in live}
