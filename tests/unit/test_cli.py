"""The console script's subcommands and the run options."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from pagerduty_operator import __version__
from pagerduty_operator.cli import main
from pagerduty_operator.runtime.arguments import add_run_arguments, config_from_arguments


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


def test_console_script_is_installed() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pagerduty_operator.cli", "version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == __version__


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return parser.parse_args(list(argv))


def test_run_defaults_watch_all_namespaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PDO_NAMESPACES", raising=False)
    config = config_from_arguments(_parse())
    assert config.clusterwide
    assert config.resync_seconds == 300
    assert config.standalone


def test_run_namespaces_from_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_from_arguments(_parse("--namespace", "a", "--namespace", "b"))
    assert config.namespaces == ("a", "b")
    assert not config.clusterwide
    monkeypatch.setenv("PDO_NAMESPACES", "x, y")
    assert config_from_arguments(_parse()).namespaces == ("x", "y")


def test_endpoint_override_must_be_a_url() -> None:
    with pytest.raises(ValueError, match="URL"):
        config_from_arguments(_parse("--pagerduty-api-url-us", "not a url"))
    config = config_from_arguments(_parse("--pagerduty-api-url-eu", "http://127.0.0.1:9000"))
    assert config.endpoints.api_eu == "http://127.0.0.1:9000"


def test_the_operator_has_no_simulator_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    """The simulator is its own distribution (`pagerduty-simulator`), not in the operator's."""
    with pytest.raises(SystemExit) as exit_info:
        main(["simulator"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'simulator'" in capsys.readouterr().err
