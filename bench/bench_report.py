"""How long the annual attendance report takes: 50 bodies of 50 members with 12 meetings each
(every register recorded), the report of each body in every format (the counts, text, JSON, CSV
and the HTML page), beside the time of its SQL queries alone. Target: under 1 s in all.

    .venv/bin/python -m bench.bench_report [--bodies 50 --members 50 --meetings 12]
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from clerk.app import Clerk
from clerk.attendance.report import (
    LINES_SQL,
    MEETINGS_SQL,
    as_csv,
    as_dict,
    attendance_report,
)
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.messages import environment, render_email
from clerk.people.bodies import sync_bodies
from clerk.store import open_store
from clerk.times import to_iso

ROOT = Path(__file__).resolve().parent.parent
START, END = date(2026, 1, 1), date(2026, 12, 31)
STATUSES = ("present", "present", "present", "apologies", "absent_without_notice")


def make_app(bodies: int, members: int, meetings: int) -> Clerk:
    """clerk in memory on ``bodies`` copies of the Carers Partnership, each with ``members``
    members and ``meetings`` meetings in 2026, every register recorded (one seat in twenty
    filled by a substitute); the fake clock on Monday 4 January 2027."""
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    template = data["bodies"]["carers"]
    data["bodies"] = {f"body{b:02d}": {**template, "name": f"Partnership {b:02d}",
                                       "short_name": f"P{b:02d}"} for b in range(bodies)}
    clock = FakeClock(datetime(2027, 1, 4, 9, tzinfo=UTC))
    app = Clerk(parse_config(data, ROOT / "config.example.toml"), open_store(memory=True), clock)
    sync_bodies(app)
    now = to_iso(clock.now())
    people, seats, rows, lines = [], [], [], []
    pid = mid = 0
    for b, slug in enumerate(app.config.bodies):
        ids = []
        for m in range(members):
            pid += 1
            ids.append(pid)
            people.append({"id": pid, "email": f"m{b}.{m}@example.org",
                           "name": f"Member {b}.{m}", "created_at": now})
            seats.append({"body": slug, "person_id": pid, "organisation": f"Org {m % 12}",
                          "role": "carer" if m % 2 else "officer", "updated_at": now})
        for k in range(meetings):
            mid += 1
            starts = datetime(2026, 1 + k % 12, 10, 10, tzinfo=UTC) + timedelta(days=k // 12)
            rows.append({"id": mid, "ref": f"{slug}-{k}", "body": slug, "starts_at": to_iso(starts),
                         "uid": str(uuid.uuid4()), "created_at": now, "updated_at": now})
            for n, member in enumerate(ids):
                status = STATUSES[(n + k) % len(STATUSES)]
                by = member if status == "present" and (n + k) % 20 else None
                if status == "present" and by is None:
                    by = ids[(n + 1) % len(ids)]  # a substitute (here, another person)
                lines.append({"meeting_id": mid, "member_id": member, "status": status,
                              "present_by": by, "recorded_at": to_iso(starts)})
    with app.store.write() as db:
        db["people"].insert_all(people)
        db["memberships"].insert_all(seats)
        db["meetings"].insert_all(rows)
        db["attendance"].insert_all(lines)
    return app


def _sql_only(app: Clerk) -> float:
    """The report's two queries for every body, and nothing else."""
    db = app.store.db
    low, high, now = to_iso(datetime(2026, 1, 1, tzinfo=app.tz)), \
        to_iso(datetime(2027, 1, 1, tzinfo=app.tz)), to_iso(app.clock.now())
    t0 = time.perf_counter()
    for slug in app.config.bodies:
        db.execute(MEETINGS_SQL, [slug, low, high]).fetchall()
        db.execute(LINES_SQL, [slug, low, high, now]).fetchall()
    return time.perf_counter() - t0


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Each stage's time for all bodies (best of three), in seconds."""
    app = make_app(args.bodies, args.members, args.meetings)
    env = environment()
    site = env.get_template("site/attendance.html.j2")
    stages: dict[str, list[float]] = {k: [] for k in (
        "counts", "text", "json", "csv", "html", "all", "sql")}
    sizes: dict[str, int] = {}
    for _ in range(3):
        times = dict.fromkeys(stages, 0.0)
        begin = time.perf_counter()
        for slug in app.config.bodies:
            body = app.body(slug)
            t0 = time.perf_counter()
            report = attendance_report(app, slug, START, END)
            t1 = time.perf_counter()
            text = render_email("annual_attendance", recipient_name="Chair", body=body,
                                report=report).text
            t2 = time.perf_counter()
            as_json = json.dumps(as_dict(report))
            t3 = time.perf_counter()
            as_text = as_csv(report)
            t4 = time.perf_counter()
            page = site.render(body=body, slug=slug, report=report, root="../",
                               organisation="")
            t5 = time.perf_counter()
            for key, spent in (("counts", t1 - t0), ("text", t2 - t1), ("json", t3 - t2),
                               ("csv", t4 - t3), ("html", t5 - t4)):
                times[key] += spent
            sizes = {"text": len(text), "json": len(as_json), "csv": len(as_text),
                     "html": len(page), "members": len(report.members),
                     "meetings": len(report.held)}
        times["all"] = time.perf_counter() - begin
        times["sql"] = _sql_only(app)
        for key, spent in times.items():
            stages[key].append(spent)
    app.store.close()
    return {"best": {k: min(v) for k, v in stages.items()}, "sizes": sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bodies", type=int, default=50)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--meetings", type=int, default=12)
    args = parser.parse_args()
    result = run_bench(args)
    best, sizes = result["best"], result["sizes"]
    print(f"annual attendance report: {args.bodies} bodies x {args.members} members x "
          f"{args.meetings} meetings ({args.bodies * args.members * args.meetings:,} register "
          f"lines); per body {sizes['members']} members, {sizes['meetings']} meetings")
    print(f"{'stage':<28}{'seconds (best of 3)':>20}")
    for key, label in (("sql", "SQL queries alone"), ("counts", "counts (SQL + rules)"),
                       ("text", "text (the email)"), ("json", "JSON"), ("csv", "CSV"),
                       ("html", "HTML page"), ("all", "all formats, all bodies")):
        print(f"{label:<28}{best[key]:>20.3f}")
    verdict = "met" if best["all"] < 1.0 else "MISSED"
    print(f"target: all formats for all bodies under 1 s: {verdict}")


if __name__ == "__main__":
    main()
