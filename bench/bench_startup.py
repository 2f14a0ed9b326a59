"""How long a command takes from the shell prompt to its answer, beside bare Python's start-up.
Target: ``clerk meetings list --json`` in at most 0.2 s.

    .venv/bin/python -m bench.bench_startup [RUNS]

It makes a database in a temporary folder from config.example.toml and members.example.csv with
two meetings (dated from today, so the set-up is the same on every day of the year; what is
listed does not depend on the date), then runs each command RUNS times (default 20), interleaved
so that a busy moment on the machine falls on all of them alike, and prints the median and best
wall time. Start-up is almost all imports: see ``python -X importtime -m clerk ...``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from clerk.cli import main

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.2  # seconds, for clerk meetings list --json


def clerk_command() -> list[str]:
    """The installed console script beside this Python, else ``python -m clerk``."""
    script = Path(sys.executable).parent / "clerk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "clerk"]


def set_up(folder: Path) -> None:
    """The example configuration, its members and two meetings, made with clerk's own commands."""
    shutil.copy(ROOT / "config.example.toml", folder / "config.toml")
    config = str(folder / "config.toml")
    first = date.today() + timedelta(days=70)
    days = [first + timedelta(days=n) for n in (0, 28)]
    steps = [["init"], ["members", "import", str(ROOT / "members.example.csv")],
             *(["meetings", "add", "carers", "--at", f"{d:%Y-%m-%d} 10:00"] for d in days)]
    for step in steps:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--config", config, *step])
        if code != 0:
            raise SystemExit(f"set-up failed at clerk {' '.join(step)}: {err.getvalue() or out.getvalue()}")


def check(command: list[str], folder: Path, env: dict[str, str]) -> None:
    """Fail fast, with the reason, when the command does not answer as the benchmark expects."""
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
    if command[-2:] == ["list", "--json"] and len(json.loads(result.stdout)) != 2:
        raise SystemExit(f"expected 2 meetings from {' '.join(command)}, got {result.stdout}")


def main_bench(runs: int) -> None:
    clerk = clerk_command()
    commands = {
        "python -c 'import sqlite3'": [sys.executable, "-c", "import sqlite3"],
        "clerk meetings list --json": [*clerk, "meetings", "list", "--json"],
        "clerk --version": [*clerk, "--version"],
        "clerk --help": [*clerk, "--help"],
    }
    env = {k: v for k, v in os.environ.items() if k != "CLERK_CONFIG"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        set_up(folder)
        for command in commands.values():
            check(command, folder, env)  # also warms the file cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                t0 = time.perf_counter()
                subprocess.run(command, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=True)
                times[name].append(time.perf_counter() - t0)
    bare = statistics.median(times["python -c 'import sqlite3'"])
    print(f"start-up, {runs} runs each, wall time ({' '.join(clerk)}):")
    for name, walls in times.items():
        median = statistics.median(walls)
        target = f" [target <= {TARGET} s]" if name == "clerk meetings list --json" else ""
        print(f"  {name:<28} median {median:.3f} s, best {min(walls):.3f} s, "
              f"{median / bare:4.1f}x bare Python{target}")


if __name__ == "__main__":
    main_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
