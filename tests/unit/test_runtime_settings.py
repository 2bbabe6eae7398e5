"""Run settings decided once: concurrent reconciles (flag and env), glibc's malloc arenas."""

from __future__ import annotations

import argparse
import ctypes.util
import platform

import kopf
import pytest

from pagerduty_operator.config import DEFAULT_MAX_CONCURRENT_RECONCILES, OperatorConfig
from pagerduty_operator.runtime import malloc_arenas
from pagerduty_operator.runtime.arguments import add_run_arguments, config_from_arguments
from pagerduty_operator.runtime.settings import configure_kopf


def _config(*argv: str) -> OperatorConfig:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return config_from_arguments(parser.parse_args(list(argv)))


def test_max_concurrent_reconciles_from_flag_environment_and_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PDO_MAX_CONCURRENT_RECONCILES", raising=False)
    assert _config().max_concurrent_reconciles == DEFAULT_MAX_CONCURRENT_RECONCILES
    assert _config("--max-concurrent-reconciles", "7").max_concurrent_reconciles == 7
    monkeypatch.setenv("PDO_MAX_CONCURRENT_RECONCILES", "12")
    assert _config().max_concurrent_reconciles == 12
    assert _config("--max-concurrent-reconciles", "-3").max_concurrent_reconciles == 0


def test_kopf_worker_limit_stays_off() -> None:
    """kopf's limit deadlocks a start with more objects than workers (index handlers)."""
    settings = kopf.OperatorSettings()
    configure_kopf(settings, OperatorConfig(max_concurrent_reconciles=5))
    assert settings.queueing.worker_limit is None


def test_malloc_arenas_left_to_the_environment_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert malloc_arenas.limit_malloc_arenas() is False


def test_malloc_arenas_capped_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    glibc = platform.libc_ver()[0] == "glibc" and ctypes.util.find_library("c") is not None
    assert malloc_arenas.limit_malloc_arenas() is glibc


def test_cluster_scans_from_flag_environment_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PDO_CLUSTER_SCANS", raising=False)
    assert _config().cluster_scans is True
    assert _config("--no-cluster-scans").cluster_scans is False
    monkeypatch.setenv("PDO_CLUSTER_SCANS", "false")
    assert _config().cluster_scans is False
    monkeypatch.setenv("PDO_CLUSTER_SCANS", "true")
    assert _config().cluster_scans is True


@pytest.mark.parametrize("scans", [True, False])
def test_kopf_scanning_follows_cluster_scans(scans: bool) -> None:
    settings = kopf.OperatorSettings()
    configure_kopf(settings, OperatorConfig(namespaces=("team-a",), cluster_scans=scans))
    assert settings.scanning.disabled is not scans
