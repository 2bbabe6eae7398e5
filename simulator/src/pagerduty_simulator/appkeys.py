"""Typed keys for what the aiohttp applications and requests carry."""

from __future__ import annotations

from typing import cast

from aiohttp import web

from pagerduty_simulator.models import Region
from pagerduty_simulator.state import SimulatorState

STATE = web.AppKey("pdsim_state", SimulatorState)
REGION = web.AppKey("pdsim_region", str)
CREDENTIAL_LABEL = web.RequestKey("pdsim_credential", str)
ADMIN_PREFIX = "/_simulator/"


def state_of(request: web.Request) -> SimulatorState:
    """The simulator state behind a request."""
    return request.app[STATE]


def region_of(request: web.Request) -> Region:
    """The region of the origin that received a request."""
    return cast(Region, request.app[REGION])
