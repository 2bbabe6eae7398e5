"""pagerduty-operator: manage PagerDuty declaratively from Kubernetes custom resources."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pagerduty-operator")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
