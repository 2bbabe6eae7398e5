"""The operator's API identity: group, version, finalizer, and every annotation and label key.

One module, imported wherever these names are needed (handlers, reconcilers, the Kubernetes
facade, kopf's settings, the CRD tests), so that none is spelled twice. The kinds and plurals
live beside their models in `models.resources`.
"""

from __future__ import annotations

GROUP = "pagerduty.ops.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
CATEGORY = "pagerduty"
FINALIZER = f"{GROUP}/finalizer"

PING_ANNOTATION = f"{GROUP}/ping"
"""On a webhook: a new value asks PagerDuty for a `pagey.ping` delivery."""
SUBSCRIPTION_ANNOTATION = f"{GROUP}/subscription-id"
"""On a signing Secret: the subscription whose secret it holds."""
DIGEST_ANNOTATION = f"{GROUP}/custom-headers-digest"
"""On a signing Secret: the digest of the header values the subscription was created with."""
INTEGRATION_ID_ANNOTATION = f"{GROUP}/integration-id"
"""On a routing-key Secret: the Events API v2 integration whose key it holds."""
KOPF_STATE_KEY = "last-handled-configuration"
"""kopf's own annotation (under GROUP) with the last spec it handled."""

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "pagerduty-operator"
"""A Secret labelled so, with no owner, may be taken over by the resource that names it."""
