"""A local PagerDuty API simulator.

REST API v2, OAuth, Events API v2 and v3 webhook deliveries for the parts of PagerDuty the
operator uses, in the US and EU regions. See docs/simulator.md.
"""

from pagerduty_simulator.config import SimulatorConfig
from pagerduty_simulator.seed import Seed, SeedError, default_seed, load_seed
from pagerduty_simulator.server import SimulatorHandle, SimulatorServer

__all__ = [
    "Seed",
    "SeedError",
    "SimulatorConfig",
    "SimulatorHandle",
    "SimulatorServer",
    "default_seed",
    "load_seed",
]
