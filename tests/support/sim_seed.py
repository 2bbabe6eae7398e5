"""Credentials and ids of the simulator's default seed, as the tests know them.

Written down here rather than imported from the simulator, so that a change to the seed shows in
the tests. Secret-shaped values are fake (`SIMfake`) and never printed by the tests.
"""

from __future__ import annotations

US_FULL = "y_SIMfake_acme_FULL1"
US_READ_ONLY = "y_SIMfake_acme_READ1"
US_USER_KEY = "u+SIMfake_alice_KEY1"
EU_FULL = "y_SIMfake_glbx_FULL1"
EU_READ_ONLY = "y_SIMfake_glbx_READ1"
US_CLIENT_ID = "simfake-acme-oauth-client-0001"
US_CLIENT_SECRET = "simfake_acme_client_secret_000000000000000001"
EU_CLIENT_ID = "simfake-globex-oauth-client-0001"
EU_CLIENT_SECRET = "simfake_globex_client_secret_00000000000000001"
US_REFRESH_TOKEN = "pdus+_1SIMFAKE_acme-refresh-token-0000-000000000001"
CHECKOUT = "PCHKOUT"
DATABASE = "PDBPRMY"
WEB = "PWEBFRT"
BATCH = "PBATCHJ"
EU_SHOP = "PEUSHOP"
TEAM_INFRA = "PT1NFRA"
TEAM_PAYMENTS = "PT2PAYM"
CHECKOUT_KEY = "cafe0000000000000000000000000001"
DATABASE_KEY = "cafe0000000000000000000000000002"
EU_SHOP_KEY = "cafe00000000000000000000000e0001"
ACME_GLOBAL = "6f0c4e2a-5b1d-4c3e-9a7f-acde00000001"
ACME_GLOBAL_KEY = "RSIMFAKEACME00000000000000000001"
ACME_EDGE = "7a1d5f3b-2c4e-4d6f-8b9a-acde00000002"
PRIORITY_P1 = "PSLWBL8"
