"""How long planning takes for 10,000 meetings, the memory it uses, and an idle ``clerk run``'s
resident memory. Targets: planning under 1 second; idle clerk run under 80 MB.

    .venv/bin/python -m bench.bench_planning
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.config import load_config
from clerk.people.bodies import sync_bodies
from clerk.store import open_store
from clerk.times import to_iso
from scheduler.plan import plan

ROOT = Path(__file__).resolve().parent.parent
N = 10_000


def planning() -> None:
    clock = FakeClock(datetime(2027, 1, 4, 9, tzinfo=UTC))
    app = Clerk(load_config(ROOT / "config.example.toml"), open_store(memory=True), clock)
    sync_bodies(app)
    bodies = list(app.config.bodies)
    start = clock.now()
    rows = []
    for i in range(N):
        when = start + timedelta(hours=7 * i)
        rows.append({"ref": f"m{i}", "body": bodies[i % len(bodies)], "starts_at": to_iso(when),
                     "uid": str(uuid.uuid4()), "created_at": to_iso(start),
                     "updated_at": to_iso(start)})
    with app.store.write() as db:
        db["meetings"].insert_all(rows)
    plan(app)  # warm the bank-holiday cache, as a running clerk would have
    tracemalloc.start()
    t0 = time.perf_counter()
    jobs = plan(app)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    walls, cpus = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        plan(app)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    print(f"planning {N:,} meetings: {len(jobs):,} deadlines in {min(walls):.3f} s best of 5 "
          f"(median {sorted(walls)[2]:.3f} s; CPU {min(cpus):.3f} s; {elapsed:.3f} s under "
          f"tracemalloc), peak {peak / 2**20:.1f} MiB allocated [target < 1 s]")


def idle_rss() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ROOT / "config.example.toml", Path(tmp) / "config.toml")
        env = {k: v for k, v in os.environ.items() if k != "CLERK_TELEGRAM_TOKEN"}
        proc = subprocess.Popen([sys.executable, "-m", "clerk", "run", "--config", "config.toml"],
                                cwd=tmp, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if "clerk is running" in line:
                break
        time.sleep(3)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS"))
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    print(f"idle clerk run: {rss / 1024:.1f} MB resident [target < 80 MB]")


if __name__ == "__main__":
    planning()
    idle_rss()
