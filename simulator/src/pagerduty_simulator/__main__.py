"""``python -m pagerduty_simulator``: the same as the ``pagerduty-simulator`` console script."""

from __future__ import annotations

from pagerduty_simulator.cli import main

raise SystemExit(main())
