"""The wheel is complete: built from the checkout, installed into a fresh venv elsewhere, it runs.

The wheel is built offline (no build isolation, setuptools from the dev group) from a copy of the
tree; a fresh venv in another directory gets the locked runtime dependencies from uv's cache (filled
by `uv sync` in scripts/test.sh) and then the wheel; every command is run on a copy of
config.example.toml from a directory outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".tools", "var", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
    ".pytest_cache", ".ruff_cache", ".mypy_cache", "*.db", "*.db-wal", "*.db-shm",
)


def find_uv() -> str | None:
    """The pinned uv that scripts/test.sh installs into .tools/, else one on PATH."""
    pinned = REPO / ".tools" / "bin" / "uv"
    if pinned.is_file():
        return str(pinned)
    return shutil.which("uv")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    work: Path  # a directory outside the checkout, holding config.toml and the members CSV

    @property
    def clerk(self) -> str:
        return str(self.venv / "bin" / "clerk")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def _clean_env(tmp: Path) -> dict[str, str]:
    """The environment of a person running clerk: no PYTHONPATH into the checkout, no secrets."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLERK_", "PYTHON", "VIRTUAL_ENV", "UV_PROJECT"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["HOME"] = os.environ.get("HOME", str(tmp))
    env["COLUMNS"] = "200"  # wide enough that tables do not wrap the names the test looks for
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    uv = find_uv()
    if uv is None:
        if IN_CI:
            pytest.fail("uv is missing: scripts/test.sh installs it into .tools/ (CI must run this test)")
        pytest.skip("uv is missing (scripts/test.sh installs it into .tools/): cannot build the wheel")
    tmp = tmp_path_factory.mktemp("wheel")
    env = _clean_env(tmp)
    source = tmp / "source"
    shutil.copytree(REPO, source, ignore=COPY_IGNORE)
    dist = tmp / "dist"
    _run([uv, "build", "--wheel", "--no-build-isolation", "--offline", "--python", sys.executable,
          "--out-dir", str(dist), str(source)], cwd=source, env=env)
    wheels = list(dist.glob("clerk-*.whl"))
    assert len(wheels) == 1, wheels

    # The locked runtime dependencies (no dev group, not the project), then the wheel itself.
    venv = tmp / "elsewhere" / "venv"
    _run([uv, "venv", "--offline", "--python", sys.executable, str(venv)], cwd=tmp, env=env)
    _run([uv, "sync", "--frozen", "--offline", "--no-dev", "--no-install-project",
          "--python", sys.executable], cwd=source, env={**env, "UV_PROJECT_ENVIRONMENT": str(venv)})
    _run([uv, "pip", "install", "--offline", "--no-deps", "--python", str(venv / "bin" / "python"),
          str(wheels[0])], cwd=tmp, env=env)
    _run([uv, "pip", "check", "--python", str(venv / "bin" / "python")], cwd=tmp, env=env)

    work = tmp / "elsewhere" / "board"
    work.mkdir()
    shutil.copy(REPO / "config.example.toml", work / "config.toml")
    shutil.copy(REPO / "members.example.csv", work / "members.csv")
    return Installed(wheels[0], venv, work)


def test_the_wheel_holds_the_five_packages_the_templates_and_the_consoles_files(
        installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = whl.namelist()
        top_level = whl.read(next(n for n in names if n.endswith(".dist-info/top_level.txt"))).decode()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"clerk", "bot", "mail", "scheduler", "web"}
    assert top_level.split() == ["bot", "clerk", "mail", "scheduler", "web"]
    static = {n for n in names if n.startswith("web/static/")}
    assert static == {str(p.relative_to(REPO)) for p in (REPO / "web" / "static").rglob("*")
                      if p.is_file()}
    shipped = {name.removeprefix("clerk/") for name in names if name.startswith("clerk/templates/")}
    in_repo = {str(p.relative_to(REPO)) for p in (REPO / "templates").rglob("*") if p.is_file()}
    assert in_repo and shipped == in_repo


def test_the_installed_clerk_reads_its_own_templates_not_the_checkouts(installed: Installed) -> None:
    python = str(installed.venv / "bin" / "python")
    out = _run([python, "-I", "-c", "import clerk, clerk.resources as r; print(clerk.__file__);"
                " print(r.templates_dir())"], cwd=installed.work, env=_clean_env(installed.work)).stdout
    module, templates = out.split()
    site = str(installed.venv)
    assert module.startswith(site) and templates.startswith(site), out
    assert Path(templates, "email", "invitation.txt.j2").is_file()


def test_every_command_runs_from_the_installed_wheel(installed: Installed) -> None:
    env = _clean_env(installed.work)
    work = installed.work

    def clerk(*args: str) -> str:
        result = _run([installed.clerk, *args], cwd=work, env=env, timeout=120)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result.stdout

    def cfg(*args: str) -> str:
        return clerk(*args, "--config", "config.toml")

    clerk("--help")
    assert clerk("--version").split() == ["clerk", "0.1.0"]
    cfg("check-config")
    cfg("init")
    cfg("members", "import", "members.csv")
    assert "alice.ashworth@example.org" in cfg("members", "list")

    day = date.today() + timedelta(days=70)
    while day.weekday() != 1:  # a Tuesday, clear of weekends
        day += timedelta(days=1)
    meeting = f"carers-{day.isoformat()}"
    added = json.loads(cfg("meetings", "add", "carers", "--at", f"{day.isoformat()} 10:00",
                           "--venue", "County Hall", "--json"))
    assert meeting in json.dumps(added)
    assert meeting in cfg("meetings", "list")
    cfg("meetings", "show", meeting)
    cfg("invite", meeting)

    paper = work / "budget.txt"
    paper.write_text("The carers' budget for the year.\n", encoding="utf-8")
    cfg("agenda", "add", meeting, "Budget", "--paper", str(paper))
    cfg("agenda", "show", meeting)
    cfg("agenda", "send", meeting)

    cfg("mail", "send")
    outbox = work / "var" / "mail" / "outbox"
    sent = [p.read_bytes() for p in outbox.rglob("*") if p.is_file()]
    invitations = [m for m in sent if b"You are invited to the meeting of the" in m]
    assert invitations, f"no invitation in {outbox} ({len(sent)} messages)"
    assert b"Worcestershire Carers Partnership" in invitations[0]
    cfg("mail", "outbox")
    cfg("mail", "read")
    cfg("mail", "inbox")
    cfg("schedule")
    cfg("run", "--once")
    site = work / "site"
    cfg("publish", "--out", str(site))
    assert (site / "style.css").is_file()
    cfg("audit", "verify")

    cfg("doctor")
    cfg("backup", str(work / "backup.db"))
    assert (work / "backup.db").stat().st_size > 0
