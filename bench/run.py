"""Entry point of `make bench`: puts the repository on the path and runs `bench.runner`.

Examples: `.venv/bin/python bench/run.py` (everything, default sizes),
`.venv/bin/python bench/run.py --only convergence,memory --webhooks 300 --rules 30`,
`make bench ARGS="--only ratelimited --rl-webhooks 600"`, `bench/run.py --help`.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    repo = str(Path(__file__).resolve().parents[1])
    if repo not in sys.path:
        sys.path.insert(0, repo)
    from bench.runner import main as run

    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
