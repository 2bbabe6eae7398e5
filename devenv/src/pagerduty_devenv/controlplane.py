"""``ControlPlane``: etcd, kube-apiserver and kube-controller-manager on loopback.

Synchronous on purpose (tests call it from session fixtures, the demo from a plain script). Usage::

    with ControlPlane() as cp:
        cp.kubectl("get", "namespaces")
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol

from kubernetes import client, config

from pagerduty_devenv import certs, components, health
from pagerduty_devenv.binaries import find_bin_dir, kubectl_path
from pagerduty_devenv.kubeconfig import write_kubeconfig
from pagerduty_devenv.processes import ManagedProcess, free_port

SECRET_FLAGS = ("--token",)


class ControlPlaneError(RuntimeError):
    """The control plane could not start (the message carries the tail of each component's log)."""


class Kubectl(Protocol):
    """kubectl bound to a control plane, as ``ControlPlane.kubectl`` and the pytest fixture."""

    def __call__(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]: ...


class KubectlError(subprocess.CalledProcessError):
    """kubectl exited non-zero; the message includes its stderr."""

    def __str__(self) -> str:
        stderr = self.stderr.strip() if isinstance(self.stderr, str) else ""
        return f"{super().__str__()}\n{stderr}"


def _redacted(argv: Sequence[str]) -> list[str]:
    """argv with the values of credential flags replaced, for exception text."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append("<redacted>")
            hide_next = False
        elif arg in SECRET_FLAGS:
            out.append(arg)
            hide_next = True
        elif arg.startswith(tuple(f"{flag}=" for flag in SECRET_FLAGS)):
            out.append(arg.split("=", 1)[0] + "=<redacted>")
        else:
            out.append(arg)
    return out


class ControlPlane:
    """A local Kubernetes control plane with TLS, RBAC, service-account tokens and GC.

    ``work_dir`` holds certificates, kubeconfigs, etcd data and one log per component; when not
    given, a temporary directory is used and removed by ``stop()`` (kept if ``start()`` failed).
    etcd data is wiped at every start: each start is a fresh cluster.
    """

    def __init__(
        self,
        work_dir: Path | None = None,
        bin_dir: Path | None = None,
        *,
        start_timeout: float = 120.0,
        stop_grace: float = 10.0,
    ) -> None:
        self._requested_work_dir = work_dir
        self._requested_bin_dir = bin_dir
        self._work_dir: Path | None = None
        self._bin_dir: Path | None = None
        self._owns_work_dir = False
        self._start_timeout = start_timeout
        self._stop_grace = stop_grace
        self._processes: list[ManagedProcess] = []
        self._server: str | None = None
        self._kubeconfig: Path | None = None
        self._apiserver_ready: Callable[[], bool] | None = None
        self._kubectl = kubectl_path()

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start etcd, kube-apiserver and kube-controller-manager; return once all are ready."""
        if self._processes:
            raise ControlPlaneError("control plane already started")
        self._bin_dir = self._requested_bin_dir or find_bin_dir()
        if self._requested_work_dir is None:
            self._work_dir = Path(tempfile.mkdtemp(prefix="pdo-controlplane-"))
            self._owns_work_dir = True
        else:
            self._work_dir = self._requested_work_dir.resolve()
            self._work_dir.mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        try:
            self._launch(self._bin_dir, self._work_dir, time.monotonic() + self._start_timeout)
        except BaseException as error:
            logs = "\n".join(
                f"--- {p.name} ({p.log_path}) ---\n{p.log_tail()}" for p in self._processes
            )
            self._stop_processes()
            self._owns_work_dir = False  # keep the logs for inspection
            if isinstance(error, health.ComponentFailedError):
                raise ControlPlaneError(
                    f"control plane did not start: {error}\nwork dir: {self._work_dir}\n{logs}"
                ) from error
            raise

    def _launch(self, bin_dir: Path, work_dir: Path, deadline: float) -> None:
        pki = work_dir / "pki"
        ca = certs.CertificateAuthority.create(pki)
        serving = ca.issue(
            pki,
            "apiserver",
            "kube-apiserver",
            server=True,
            dns_names=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"),
            ip_addresses=(components.LOOPBACK, "10.0.0.1"),
        )
        admin = ca.issue(pki, "admin", "admin", organization="system:masters")
        kcm = ca.issue(
            pki,
            "controller-manager",
            "system:kube-controller-manager",
            organization="system:masters",
        )
        sa_key, sa_pub = certs.write_signing_key(pki)
        ports = components.Ports(free_port(), free_port(), free_port(), free_port())
        self._server = f"https://{components.LOOPBACK}:{ports.apiserver}"

        etcd_dir = work_dir / "etcd"
        shutil.rmtree(etcd_dir, ignore_errors=True)
        etcd = self._spawn("etcd", components.etcd_argv(bin_dir, etcd_dir, ports))
        etcd_health = f"http://{components.LOOPBACK}:{ports.etcd_client}/health"
        health.wait_until(
            "etcd /health",
            lambda: health.http_status(etcd_health) == 200,
            deadline=deadline,
            watched=[etcd],
        )

        apiserver = self._spawn(
            "kube-apiserver",
            components.apiserver_argv(
                bin_dir,
                pki,
                ports,
                serving_cert=serving.cert_path,
                serving_key=serving.key_path,
                sa_private_key=sa_key,
                sa_public_key=sa_pub,
            ),
        )
        admin_tls = health.client_context(
            str(ca.pair.cert_path), str(admin.cert_path), str(admin.key_path)
        )
        server = self._server

        def api_ok(path: str) -> bool:
            return health.http_status(f"{server}{path}", admin_tls) == 200

        self._apiserver_ready = lambda: api_ok("/readyz")
        health.wait_until(
            "kube-apiserver /readyz",
            self._apiserver_ready,
            deadline=deadline,
            watched=[etcd, apiserver],
        )
        self._kubeconfig = write_kubeconfig(
            work_dir / "kubeconfig",
            server=server,
            ca_pem=ca.pair.cert_pem,
            user="admin",
            client_cert_pem=admin.cert_pem,
            client_key_pem=admin.key_pem,
        )
        kcm_kubeconfig = write_kubeconfig(
            pki / "controller-manager.kubeconfig",
            server=server,
            ca_pem=ca.pair.cert_pem,
            user="system:kube-controller-manager",
            client_cert_pem=kcm.cert_pem,
            client_key_pem=kcm.key_pem,
        )
        controller_manager = self._spawn(
            "kube-controller-manager",
            components.controller_manager_argv(
                bin_dir, pki, ports, kubeconfig=kcm_kubeconfig, sa_private_key=sa_key
            ),
        )
        all_three = [etcd, apiserver, controller_manager]
        kcm_healthz = f"https://{components.LOOPBACK}:{ports.controller_manager}/healthz"
        insecure = health.insecure_context()
        health.wait_until(
            "kube-controller-manager /healthz",
            lambda: health.http_status(kcm_healthz, insecure) == 200,
            deadline=deadline,
            watched=all_three,
        )
        # The default ServiceAccount shows that the controllers run and that the apiserver
        # finished bootstrapping the `default` namespace.
        health.wait_until(
            "the default ServiceAccount (kube-controller-manager's controllers running)",
            lambda: api_ok("/api/v1/namespaces/default/serviceaccounts/default"),
            deadline=deadline,
            watched=all_three,
        )

    def restart_apiserver(self, timeout: float = 60.0) -> None:
        """Stop kube-apiserver and start it again on the same port, flags and certificates.

        etcd keeps running, so the cluster's objects survive; clients see their connections and
        watches end, as in an apiserver crash or upgrade. Returns once /readyz answers 200.
        """
        self._require_started()
        [old] = [p for p in self._processes if p.name == "kube-apiserver"]
        if self._apiserver_ready is None:  # pragma: no cover - set whenever started
            raise ControlPlaneError("kube-apiserver readiness check missing")
        # It stops listening within moments of SIGTERM but may take half a minute to exit.
        old.stop(grace=min(self._stop_grace, 5.0))
        new = ManagedProcess(old.name, old.argv, old.log_path)
        self._processes[self._processes.index(old)] = new
        new.start()
        etcd = [p for p in self._processes if p.name == "etcd"]
        health.wait_until(
            "kube-apiserver /readyz after a restart",
            self._apiserver_ready,
            deadline=time.monotonic() + timeout,
            watched=[*etcd, new],
        )

    def _spawn(self, name: str, argv: list[str]) -> ManagedProcess:
        assert self._work_dir is not None
        process = ManagedProcess(name, argv, self._work_dir / "logs" / f"{name}.log")
        self._processes.append(process)
        process.start()
        return process

    def _stop_processes(self) -> None:
        # The apiserver and controller-manager first (together), etcd last.
        etcd = [p for p in self._processes if p.name == "etcd"]
        others = [p for p in self._processes if p.name != "etcd"]
        for group in (others, etcd):
            for process in group:
                process.terminate()
            for process in group:
                process.wait_stopped(self._stop_grace)
        self._processes = []

    def stop(self) -> None:
        """Stop every component (SIGTERM, SIGKILL after the grace period); idempotent."""
        atexit.unregister(self.stop)
        self._stop_processes()
        if self._owns_work_dir and self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._owns_work_dir = False

    # -- properties ------------------------------------------------------------------------

    def _require_started(self) -> tuple[str, Path]:
        if self._server is None or self._kubeconfig is None or not self._processes:
            raise ControlPlaneError("control plane is not running; call start() first")
        return self._server, self._kubeconfig

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (client certificate of CN=admin, O=system:masters)."""
        return self._require_started()[1]

    @property
    def server(self) -> str:
        """The kube-apiserver URL, e.g. ``https://127.0.0.1:41234``."""
        return self._require_started()[0]

    @property
    def work_dir(self) -> Path:
        if self._work_dir is None:
            raise ControlPlaneError("control plane has no work dir before start()")
        return self._work_dir

    @property
    def bin_dir(self) -> Path:
        if self._bin_dir is None:
            raise ControlPlaneError("control plane has no bin dir before start()")
        return self._bin_dir

    @property
    def pids(self) -> list[int]:
        """Process ids of the running components (each leads its own process group)."""
        return [p.pid for p in self._processes if p.pid is not None]

    @property
    def log_paths(self) -> dict[str, Path]:
        return {p.name: p.log_path for p in self._processes}

    # -- clients ---------------------------------------------------------------------------

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        kubeconfig: Path | None = None,
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this control plane (admin unless ``kubeconfig`` is given)."""
        config = kubeconfig or self.kubeconfig
        argv = [str(self._kubectl), f"--kubeconfig={config}", *args]
        result = subprocess.run(
            argv, input=input, capture_output=True, text=True, check=False, timeout=timeout
        )
        if check and result.returncode != 0:
            raise KubectlError(result.returncode, _redacted(argv), result.stdout, result.stderr)
        return result

    def api_client(self, kubeconfig: Path | None = None) -> client.ApiClient:
        """A ``kubernetes.client.ApiClient`` (admin unless ``kubeconfig`` is given); close it."""
        api: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig or self.kubeconfig), persist_config=False
        )
        return api

    def token_for_service_account(
        self,
        namespace: str,
        name: str,
        audiences: Sequence[str] | None = None,
        expiration_seconds: int = 3600,
    ) -> str:
        """Issue a token for ServiceAccount ``namespace/name`` through the TokenRequest API.

        Without ``audiences`` the token is for the apiserver itself (its ``--api-audiences``).
        """
        request = client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(
                audiences=list(audiences or []), expiration_seconds=expiration_seconds
            )
        )
        with self.api_client() as api:
            response = client.CoreV1Api(api).create_namespaced_service_account_token(
                name, namespace, request
            )
        if response.status is None or not response.status.token:
            raise ControlPlaneError(f"TokenRequest for {namespace}/{name} returned no token")
        return response.status.token

    def kubeconfig_for_token(self, token: str, namespace: str | None = None) -> Path:
        """Write a kubeconfig (mode 0600) that authenticates with a bearer ``token``."""
        digest = hashlib.sha256(token.encode()).hexdigest()[:16]
        return write_kubeconfig(
            self.work_dir / "tokens" / f"{digest}.kubeconfig",
            server=self.server,
            ca_pem=(self.work_dir / "pki" / "ca.crt").read_bytes(),
            user=f"token-{digest}",
            token=token,
            namespace=namespace,
        )
