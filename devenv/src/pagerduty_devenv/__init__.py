"""A local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager).

Used by the e2e tests and the demo. ``ControlPlane`` starts the real binaries built by
``hack/build-binaries.sh`` on loopback with TLS, RBAC and service-account tokens, and stops them
without leaving a process behind.
"""

from pagerduty_devenv.binaries import BinariesNotFoundError, find_bin_dir, kubectl_path
from pagerduty_devenv.controlplane import (
    ControlPlane,
    ControlPlaneError,
    Kubectl,
    KubectlError,
)

__all__ = [
    "BinariesNotFoundError",
    "ControlPlane",
    "ControlPlaneError",
    "Kubectl",
    "KubectlError",
    "find_bin_dir",
    "kubectl_path",
]
