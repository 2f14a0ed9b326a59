"""``clerk run`` as a person starts it: on the example config, alone, and stopped cleanly."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.app_fixtures import EXAMPLE_MEMBERS, ROOT
from tests.service_helpers import env, wait_for

CLERK = [sys.executable, "-m", "clerk"]


def start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*CLERK, "run", "--config", "config.toml", *args], cwd=cwd, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_run_starts_on_the_example_config_refuses_a_second_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml")
    shutil.copy(EXAMPLE_MEMBERS, tmp_path / "members.csv")
    subprocess.run([*CLERK, "members", "import", "members.csv", "-c", "config.toml"], cwd=tmp_path,
                   check=True, capture_output=True)
    subprocess.run([*CLERK, "meetings", "add", "carers", "--at", "2030-01-17 10:00", "--venue",
                    "County Hall", "-c", "config.toml"], cwd=tmp_path, check=True,
                   capture_output=True)
    first = start(tmp_path)
    try:
        out = wait_for(first, "clerk is running")
        assert "6 bodies" in out
        second = subprocess.run([*CLERK, "run", "--config", "config.toml"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 2
        assert "clerk is already running on" in second.stderr
        assert "two would run every deadline twice" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        rest, _ = first.communicate(timeout=20)
    assert first.returncode == 0
    assert "stopped" in rest


def test_schedule_lists_what_is_due_next(tmp_path: Path) -> None:
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml")
    subprocess.run([*CLERK, "meetings", "add", "cypsp-board", "--at", "2030-01-17 10:00",
                    "-c", "config.toml"], cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run([*CLERK, "schedule", "-c", "config.toml", "--json"], cwd=tmp_path,
                         check=True, capture_output=True, text=True).stdout
    assert '"what": "circulate the papers"' in out
    assert '"for": "cypsp-board-2030-01-17"' in out
    assert '"when": "Thursday 10 January 2030 at 09:00"' in out
