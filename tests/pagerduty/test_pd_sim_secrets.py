"""Secrets never reach logs, exception text or reprs (on top of the directory-wide guard)."""

from __future__ import annotations

import logging

import pytest
from pd_sim_helpers import Admin, LinkedClock, SecretBook, leaks, make_pd_client
from pydantic import SecretStr

from pagerduty_operator.pagerduty import (
    ApiToken,
    AuthenticationError,
    InvalidInputError,
    OAuthClientCredentials,
    OAuthUserToken,
    PagerDutyError,
    TokenSet,
    install_redaction,
)
from pagerduty_operator.pagerduty.resources import (
    CustomHeader,
    NewWebhookSubscription,
    WebhookFilter,
)
from pagerduty_simulator import SimulatorServer
from support.sim_seed import CHECKOUT, US_CLIENT_ID, US_CLIENT_SECRET, US_FULL, US_REFRESH_TOKEN

HEADER_SECRET = "receiver-api-key-6c1f0e"
FAKE_KEY = "y_SIMfake_unknown_key_9d8e"


def test_the_guard_would_catch_a_leak(
    caplog: pytest.LogCaptureFixture, secret_book: SecretBook
) -> None:
    logging.getLogger("test.unfiltered").warning("oops %s", US_FULL)
    assert leaks([caplog.text], secret_book.values) == [US_FULL]
    caplog.clear()  # so that the guard itself passes
    logging.getLogger("test.unfiltered").warning("nothing secret")


async def test_every_credential_and_secret_kind(
    sim: SimulatorServer,
    admin: Admin,
    clock: LinkedClock,
    caplog: pytest.LogCaptureFixture,
    secret_guard: list[PagerDutyError],
    secret_book: SecretBook,
) -> None:
    secret_book.values |= {HEADER_SECRET, FAKE_KEY}
    shown: list[object] = []
    saved: list[TokenSet] = []

    async def persist(tokens: TokenSet) -> None:
        saved.append(tokens)

    api = ApiToken(US_FULL)
    app = OAuthClientCredentials(US_CLIENT_ID, US_CLIENT_SECRET, "acme", clock=clock)
    user = OAuthUserToken(
        US_CLIENT_ID,
        US_CLIENT_SECRET,
        TokenSet("pdus+_0SIMFAKE_stale", US_REFRESH_TOKEN, 0),
        on_tokens_refreshed=persist,
        clock=clock,
    )
    for credential in (api, app, user):
        async with make_pd_client(sim.us_url, credential, clock=clock) as client:
            created = await client.webhooks.create(
                NewWebhookSubscription(
                    url="https://hooks.example/secrets",
                    events=["incident.triggered"],
                    filter=WebhookFilter.account(),
                    custom_headers=[CustomHeader(name="X-Key", value=SecretStr(HEADER_SECRET))],
                )
            )
            assert created.signing_secret is not None
            integration = await client.integrations.create(CHECKOUT, "secret test")
            service = await client.services.get(CHECKOUT)
            report = await client.probe()
            with pytest.raises(InvalidInputError):
                await client.webhooks.create(
                    NewWebhookSubscription(
                        url="https://hooks.example/bad",
                        events=["incident.nope"],
                        filter=WebhookFilter.account(),
                        custom_headers=[CustomHeader(name="X-Key", value=SecretStr(HEADER_SECRET))],
                    )
                )
            shown += [
                client,
                credential,
                created,
                integration,
                service,
                report,
                client.metrics.snapshot(),
            ]
            shown += [client.limiter.stats, created.delivery_method, created.model_dump()]
    assert saved
    shown += [saved, user.tokens, app.tokens]
    async with make_pd_client(sim.us_url, ApiToken(FAKE_KEY), clock=clock) as client:
        with pytest.raises(AuthenticationError):
            await client.services.get(CHECKOUT)
        shown.append(client)

    # the operator's handlers would carry the redacting filter; records from anywhere pass it
    handler = logging.StreamHandler()
    install_redaction(handler)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key %s", (US_FULL,), None)
    assert handler.filter(record)
    shown.append(record.getMessage())

    known = secret_book.values | await admin.secrets()
    texts = [repr(x) for x in shown] + [str(x) for x in shown] + [caplog.text]
    texts += [str(e) for e in secret_guard] + [repr(e) for e in secret_guard]
    assert len(secret_guard) >= 4
    assert not leaks(texts, known)
