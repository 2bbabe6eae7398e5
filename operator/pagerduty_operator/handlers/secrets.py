"""Notice changed Secrets without a restart: rotated credentials, header values, lost secrets.

Indexes map each referenced Secret to the resources that use it; a Secret event kicks exactly
those resources.
"""

from __future__ import annotations

from typing import Any

import kopf

from pagerduty_operator.handlers.common import context_of
from pagerduty_operator.models.identity import GROUP, VERSION
from pagerduty_operator.models.resources import INTEGRATION, WEBHOOK


def _integration_secrets(spec: dict[str, Any]) -> set[str]:
    creds = spec.get("credentials") or {}
    names = set()
    for entry in (creds.get("apiKey"), creds.get("routingKey")):
        if entry:
            names.add((entry.get("secretKeyRef") or {}).get("name"))
    oauth = creds.get("oauth") or {}
    for entry in (oauth.get("clientId"), oauth.get("clientSecret")):
        if entry:
            names.add((entry.get("secretKeyRef") or {}).get("name"))
    if oauth.get("tokenSecretRef"):
        names.add(oauth["tokenSecretRef"].get("name"))
    return {n for n in names if n}


def _webhook_secrets(spec: dict[str, Any]) -> dict[str, str]:
    """Secret name -> its role: `header` (a value the operator reads) or `signing` (it writes)."""
    roles: dict[str, str] = {}
    signing = (spec.get("signingSecretRef") or {}).get("name")
    if signing:
        roles[signing] = "signing"
    for header in spec.get("customHeaders") or []:
        name = ((header.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
        if name:
            roles[name] = "header"
    return roles


def register(registry: kopf.OperatorRegistry) -> None:
    """Attach the Secret watch and the indexes it uses to `registry`."""

    @kopf.index(GROUP, VERSION, INTEGRATION.plural, id="integrations_by_secret", registry=registry)
    def integrations_by_secret(
        namespace: str | None, name: str, spec: kopf.Spec, **_: Any
    ) -> dict[tuple[str | None, str], str]:
        return {(namespace, secret): name for secret in _integration_secrets(dict(spec))}

    @kopf.index(GROUP, VERSION, WEBHOOK.plural, id="webhooks_by_secret", registry=registry)
    def webhooks_by_secret(
        namespace: str | None, name: str, spec: kopf.Spec, **_: Any
    ) -> dict[tuple[str | None, str], tuple[str, str]]:
        return {
            (namespace, secret): (name, role)
            for secret, role in _webhook_secrets(dict(spec)).items()
        }

    @kopf.on.event("", "v1", "secrets", registry=registry)
    async def secret_changed(
        type: str,
        namespace: str | None,
        name: str,
        memo: kopf.Memo,
        **kwargs: Any,
    ) -> None:
        if not type or not namespace:  # the initial listing: resume handlers reconcile all
            return
        ctx = context_of(memo)
        key = (namespace, name)
        integrations: kopf.Index[tuple[str | None, str], str] = kwargs["integrations_by_secret"]
        webhooks: kopf.Index[tuple[str | None, str], tuple[str, str]] = kwargs["webhooks_by_secret"]
        for integration in set(integrations.get(key, [])):
            ctx.clients.invalidate(namespace, integration)
            await ctx.kick(INTEGRATION.plural, namespace, integration)
        for webhook, role in set(webhooks.get(key, [])):
            # The operator writes signing Secrets itself: only their loss needs a reconcile.
            if role == "header" or type == "DELETED":
                await ctx.kick(WEBHOOK.plural, namespace, webhook)
