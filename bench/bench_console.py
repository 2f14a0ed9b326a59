"""The console's server time for its busiest pages on a large secretariat: 50 bodies, 600
meetings, 3,000 members, replies for every meeting whose invitations have gone out. For
each page, the p50 and p95 of N requests, beside the time to read the same data straight from
SQLite (plain queries, the rows fetched and nothing else) in the same run.
Target: p95 under 50 ms.

    .venv/bin/python -m bench.bench_console
    .venv/bin/python -m bench.bench_console --requests 50 --bodies 10 --meetings 60 --members 300

What is measured:

- ``GET /`` (the dashboard) for a facilitator of three bodies and for an administrator, who
  serves all of them; and ``GET /meetings/{ref}`` (a meeting's page) for the facilitator's next
  meeting whose invitations have gone out (with its replies);
- the console runs as ``clerk run`` serves it: on uvloop where it is installed, with what was
  loaded before serving frozen out of the garbage collector (``gc.freeze``);
- *server* is the time from the request reaching the console's application to its response
  leaving it (a middleware outside all the console's own: the session look-up, the handler and the
  template); *round trip* is what aiohttp's client on loopback waited, for comparison;
- *SQLite alone* reads what the page shows with a few plain queries (:func:`baseline_dashboard`,
  :func:`baseline_meeting`) on a connection of its own, without any Python work on the rows.

The clock is a FakeClock at a fixed date (Monday 1 March 2027, 09:00 UTC), so the data set, and
what the pages find to show, is the same on every day of the year. The configuration and the
database are made in a temporary folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import copy
import gc
import random
import re
import sqlite3
import statistics
import tempfile
import time
import tomllib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from clerk.access import print_link
from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.composition.run import run_loop
from clerk.config import parse_config
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.records.dashboard import HORIZON_DAYS
from clerk.rules.deadlines import JobKind, meeting_deadlines
from clerk.store import open_store
from clerk.times import from_iso, localise, to_iso
from web.app import make_console

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TARGET_MS = 50.0
ADMIN = "admin@council.example.org"
#: The example bodies the generated ones copy, in turn (each with its own kind of quorum).
TEMPLATES = ("carers", "cypsp-jcb", "cypsp-pab", "cypsp-board")
ORGANISATIONS = ("PCT", "Council", "Healthwatch", "Police", "Schools", "Carers forum",
                 "Voluntary sector", "Housing")
CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf" value="([^"]*)">')


def facilitator(n: int) -> str:
    """The facilitator of bodies 3n, 3n+1 and 3n+2."""
    return f"facilitator{n:02d}@bench.example.org"


def body_slug(i: int) -> str:
    return f"body{i:02d}"


# ----------------------------------------------------------------------------- the data set


def make_config(workdir: Path, bodies: int) -> Any:
    """The example configuration with ``bodies`` bodies copied from its own, an administrator,
    and the database and Maildir in ``workdir``."""
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    examples = data["bodies"]
    made = {}
    for i in range(bodies):
        body = copy.deepcopy(examples[TEMPLATES[i % len(TEMPLATES)]])
        body.pop("reports_to", None)
        body["name"] = f"Bench Partnership {i:02d}"
        body["short_name"] = f"Partnership {i:02d}"
        body["facilitator"] = facilitator(i // 3)
        made[body_slug(i)] = body
    data["bodies"] = made
    data["web"] = {"listen": "127.0.0.1:8080", "admins": [ADMIN]}
    data["clerk"]["database"] = str(workdir / "clerk.db")
    data["mail"]["maildir"] = str(workdir / "mail")
    return parse_config(data, workdir / "config.toml")


def members_csv(bodies: int, members: int) -> str:
    """``members`` seats over the bodies (the first two of each the Chair and Vice-Chair; a third
    of them carers; organisations in turn, so every kind of quorum can be met)."""
    lines = ["body,name,email,role,office,organisation,carer"]
    per = max(1, members // bodies)
    for n in range(members):
        i, k = divmod(n, per)
        i = min(i, bodies - 1)
        office = ("chair", "vice_chair")[k] if k < 2 else ""
        carer = "yes" if k % 3 == 0 else "no"
        lines.append(f"{body_slug(i)},Member {n:04d},member{n:04d}@bench.example.org,"
                     f"{'carer' if carer == 'yes' else 'officer'},{office},"
                     f"{ORGANISATIONS[k % len(ORGANISATIONS)]},{carer}")
    return "\n".join(lines) + "\n"


def build(workdir: Path, *, bodies: int, meetings: int, members: int, seed: int = 15) -> Clerk:
    """The secretariat the benchmark reads: configuration, members, meetings (half held, half
    to come), invitations and replies, a few open votes, bouncing addresses and an inbox."""
    rng = random.Random(seed)
    app = Clerk(make_config(workdir, bodies), open_store(workdir / "clerk.db"), FakeClock(NOW))
    sync_bodies(app)
    report = import_members(app, members_csv(bodies, members))
    if not report.ok:
        raise SystemExit(f"the bench's members did not import: {report.errors}")
    stamp = to_iso(NOW)
    per_body = max(1, meetings // bodies)
    rows = []
    for n in range(meetings):
        i, j = n % bodies, n // bodies
        # a year of meetings for each body, half held and half to come, a weekday at 10:00
        day = (NOW - timedelta(days=182) + timedelta(days=j * 365 // per_body + i % 28)).date()
        while day.weekday() >= 5:
            day += timedelta(days=1)
        starts = localise(datetime(day.year, day.month, day.day, 10, 0), app.tz)
        held = starts < NOW
        rows.append({
            "ref": f"{body_slug(i)}-{day.isoformat()}", "body": body_slug(i),
            "starts_at": to_iso(starts), "venue": "County Hall", "uid": f"{uuid.uuid4()}@bench",
            "created_at": stamp, "updated_at": stamp,
            "papers_sent_at": to_iso(starts - timedelta(days=8))
            if starts - timedelta(days=8) < NOW and rng.random() > 0.1 else None,
            "minutes_circulated_at": to_iso(starts + timedelta(days=7))
            if held and rng.random() > 0.05 else None,
        })
    with app.store.write() as db:
        db.table("meetings").insert_all(rows)
        seats: dict[str, list[int]] = {}
        for row in db.query("SELECT body, person_id FROM memberships WHERE active = 1"):
            seats.setdefault(row["body"], []).append(row["person_id"])
        invitations = []
        replied = NOW - timedelta(days=1)
        for meeting in db.query("SELECT id, body, starts_at FROM meetings"):
            if invite_day(app, meeting["body"], from_iso(meeting["starts_at"])) > NOW:
                continue  # not invited yet
            for pid in seats.get(meeting["body"], []):
                reply = rng.choices(("attend", "apologies", "no_reply"), (6, 2, 3))[0]
                invitations.append({"meeting_id": meeting["id"], "person_id": pid,
                                    "reply": reply, "channel": "email", "created_at": stamp,
                                    "replied_at": None if reply == "no_reply"
                                    else to_iso(replied)})
        db.table("invitations").insert_all(invitations, batch_size=5000)
        held_ids = [r["id"] for r in db.query(
            "SELECT id FROM meetings WHERE starts_at < ? ORDER BY starts_at DESC LIMIT 10",
            [stamp])]
        db.table("ballots").insert_all({
            "ref": f"vote-{n:02d}", "meeting_id": mid, "opened_at": stamp,
            "closes_at": to_iso(NOW + timedelta(days=1 + n)), "status": "open"}
            for n, mid in enumerate(held_ids))
        db.execute("UPDATE people SET undeliverable = 'bounced (bench)' WHERE id % 97 = 0")
        raw = b"x" * 1500
        db.table("inbound").insert_all(({
            "message_key": f"<m{n}@bench>", "message_id": f"<m{n}@bench>", "raw_sha256": str(n),
            "source": "imap", "received_at": stamp, "status":
                "quarantined" if n % 100 == 0 else "processed",
            "raw": raw, "processed_at": stamp} for n in range(max(100, meetings * 5))),
            batch_size=1000)
    return app


def invite_day(app: Clerk, body: str, starts: datetime) -> datetime:
    """When a meeting's invitations go out (its body's invitation deadline)."""
    return next(d.at for d in meeting_deadlines(app.body(body), starts, app.tz)
                if d.code is JobKind.INVITE)


# ----------------------------------------------------------------------------- the baseline


def baseline_dashboard(conn: sqlite3.Connection, bodies: list[str]) -> int:
    """What the dashboard shows, read with plain queries: the bodies' members, their meetings of
    the next four weeks (and each body's next) with every reply, the meetings whose minutes are
    outstanding, the open votes and the messages in quarantine. Returns the rows read."""
    marks = ", ".join("?" * len(bodies))
    today, horizon = to_iso(NOW.replace(hour=0)), to_iso(NOW + timedelta(days=HORIZON_DAYS))
    n = len(conn.execute(f"SELECT m.body, p.id, p.email, p.name, m.office, m.carer, "
                         f"p.undeliverable FROM memberships m JOIN people p ON p.id = m.person_id "
                         f"WHERE m.body IN ({marks}) AND m.active = 1", bodies).fetchall())
    coming = conn.execute(f"SELECT * FROM meetings m WHERE body IN ({marks}) AND starts_at >= ? "
                          f"AND status != 'cancelled' AND (starts_at < ? OR starts_at = (SELECT "
                          f"MIN(starts_at) FROM meetings n WHERE n.body = m.body AND "
                          f"n.starts_at >= ? AND n.status != 'cancelled'))",
                          [*bodies, today, horizon, today]).fetchall()
    n += len(coming)
    ids = [row[0] for row in coming]
    if ids:
        n += len(conn.execute(f"SELECT meeting_id, person_id, reply, substitute_id FROM "
                              f"invitations WHERE meeting_id IN ({', '.join('?' * len(ids))})",
                              ids).fetchall())
    n += len(conn.execute(f"SELECT * FROM meetings WHERE body IN ({marks}) AND starts_at < ? "
                          f"AND minutes_circulated_at IS NULL", [*bodies, to_iso(NOW)]).fetchall())
    n += len(conn.execute(f"SELECT b.ref, b.closes_at FROM ballots b JOIN meetings m ON "
                          f"m.id = b.meeting_id WHERE b.status = 'open' AND m.body IN ({marks})",
                          bodies).fetchall())
    n += len(conn.execute("SELECT COUNT(*) FROM inbound WHERE status = 'quarantined'").fetchall())
    return n


def baseline_meeting(conn: sqlite3.Connection, ref: str) -> int:
    """What a meeting's page shows, read with plain queries: the meeting, its body's members with
    each one's reply, its decisions, agenda and papers. Returns the rows read."""
    meeting = conn.execute("SELECT id, body FROM meetings WHERE ref = ?", [ref]).fetchone()
    mid, body = meeting
    n = 1 + len(conn.execute(
        "SELECT p.email, p.name, m.office, m.carer, i.reply, i.channel, i.replied_at "
        "FROM memberships m JOIN people p ON p.id = m.person_id LEFT JOIN invitations i "
        "ON i.person_id = p.id AND i.meeting_id = ? WHERE m.body = ? AND m.active = 1",
        [mid, body]).fetchall())
    for table in ("decisions", "agenda_items", "papers", "ballots"):
        n += len(conn.execute(f"SELECT * FROM {table} WHERE meeting_id = ?", [mid]).fetchall())
    return n


# ----------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Timing:
    """p50 and p95 of a series of times, in milliseconds."""

    n: int
    p50: float
    p95: float

    @classmethod
    def of(cls, seconds: list[float]) -> Timing:
        ms = sorted(s * 1000 for s in seconds)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        return cls(len(ms), statistics.median(ms), p95)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def timed(into: list[float]) -> Any:
    """A middleware that records how long the console took for each request."""
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        t0 = time.perf_counter()
        try:
            return await handler(request)
        finally:
            into.append(time.perf_counter() - t0)
    return middleware


async def _sign_in(client: TestClient[Any, Any], app: Clerk, email: str) -> None:
    link = print_link(app, email)
    path = link[link.index("/sign-in/"):]
    async with client.get(path) as response:
        found = CSRF_FIELD.search(await response.text())
    async with client.post(path, data={"csrf": found.group(1) if found else ""}) as response:
        if response.url.path != "/":
            raise SystemExit(f"the bench could not sign in as {email}: {response.status}")


async def _measure(app: Clerk, pages: list[tuple[str, str, str]], requests: int,
                   warm_up: int) -> dict[str, dict[str, Any]]:
    server_times: list[float] = []
    console = make_console(app)
    console.middlewares.insert(0, timed(server_times))
    server = TestServer(console)
    clients: dict[str, TestClient[Any, Any]] = {}
    out: dict[str, dict[str, Any]] = {}
    try:
        for name, email, path in pages:
            if email not in clients:
                clients[email] = TestClient(server)
                await clients[email].start_server()
                await _sign_in(clients[email], app, email)
            client = clients[email]
            round_trips = []
            status = 0
            for n in range(warm_up + requests):
                if n == warm_up:
                    server_times.clear()
                t0 = time.perf_counter()
                async with client.get(path, allow_redirects=False) as response:
                    await response.read()
                    status = response.status
                if n >= warm_up:
                    round_trips.append(time.perf_counter() - t0)
                if status != 200:
                    break
            out[name] = {"status": status, "path": path,
                         "server": Timing.of(server_times) if status == 200 else None,
                         "round_trip": Timing.of(round_trips) if status == 200 else None}
    finally:
        for client in clients.values():
            await client.close()
        await server.close()
    return out


def _baseline(read: Callable[[], int], requests: int, warm_up: int) -> tuple[Timing, int]:
    rows = 0
    times = []
    for n in range(warm_up + requests):
        t0 = time.perf_counter()
        rows = read()
        if n >= warm_up:
            times.append(time.perf_counter() - t0)
    return Timing.of(times), rows


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Build the data set, measure each page and its baseline; the results by page."""
    warm_up = max(1, min(10, args.requests // 10))
    with tempfile.TemporaryDirectory(prefix="clerk-bench-console-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        app = build(workdir, bodies=args.bodies, meetings=args.meetings, members=args.members)
        built = time.perf_counter() - t0
        own = [body_slug(i) for i in range(min(3, args.bodies))]
        every = [body_slug(i) for i in range(args.bodies)]
        invited = app.store.one(
            f"SELECT ref FROM meetings m WHERE body IN ({', '.join('?' * len(own))}) AND "
            "starts_at >= ? AND EXISTS (SELECT 1 FROM invitations i WHERE i.meeting_id = m.id) "
            "ORDER BY starts_at LIMIT 1", [*own, to_iso(NOW)])
        ref = invited["ref"] if invited else ""
        pages = [("dashboard, facilitator", facilitator(0), "/"),
                 ("dashboard, admin", ADMIN, "/")]
        if ref:
            pages.append(("meeting page", facilitator(0), f"/meetings/{ref}"))
        measured: dict[str, dict[str, Any]] = {}

        async def measure() -> None:
            measured.update(await _measure(app, pages, args.requests, warm_up))

        # as clerk run serves: what is loaded by now is out of the collector's way, and the
        # loop is uvloop where it is installed
        gc.collect()
        gc.freeze()
        try:
            run_loop(measure())
        finally:
            gc.unfreeze()
        conn = sqlite3.connect(workdir / "clerk.db")
        try:
            baselines = {
                "dashboard, facilitator": _baseline(lambda: baseline_dashboard(conn, own),
                                                    args.requests, warm_up),
                "dashboard, admin": _baseline(lambda: baseline_dashboard(conn, every),
                                              args.requests, warm_up),
            }
            if ref:
                baselines["meeting page"] = _baseline(lambda: baseline_meeting(conn, ref),
                                                      args.requests, warm_up)
        finally:
            conn.close()
        counts = {table: app.store.one(f"SELECT COUNT(*) AS n FROM {table}")["n"]  # type: ignore[index]
                  for table in ("meetings", "memberships", "invitations", "inbound")}
        app.store.close()
    for name, result in measured.items():
        result["sqlite"], result["rows"] = baselines[name]
    return {"pages": measured, "built_seconds": built, "counts": counts, "requests": args.requests,
            "meeting": ref}


def report(result: dict[str, Any], args: argparse.Namespace) -> None:
    c = result["counts"]
    print(f"console: {args.bodies} bodies, {c['meetings']:,} meetings, {c['memberships']:,} "
          f"members, {c['invitations']:,} invitations, {c['inbound']:,} inbound messages "
          f"(built in {result['built_seconds']:.1f} s; clock {NOW:%Y-%m-%d %H:%M} UTC); "
          f"{result['requests']} requests a page; the meeting page of {result['meeting'] or '-'}")
    header = (f"{'page':<24} {'server p50':>11} {'p95':>9} {'round trip p95':>15} "
              f"{'SQLite alone p50':>17} {'p95':>9} {'rows':>6}")
    print(header)
    print("-" * len(header))
    for name, r in result["pages"].items():
        if r["server"] is None:
            print(f"{name:<24} not measured: GET {r['path']} answered {r['status']}")
            continue
        s, rt, q = r["server"], r["round_trip"], r["sqlite"]
        print(f"{name:<24} {s.p50:>8.1f} ms {s.p95:>6.1f} ms {rt.p95:>12.1f} ms "
              f"{q.p50:>14.2f} ms {q.p95:>6.2f} ms {r['rows']:>6,}")
    for name, r in result["pages"].items():
        if r["server"] is not None:
            verdict = "met" if r["server"].p95 < TARGET_MS else "MISSED"
            print(f"{name}: server p95 {r['server'].p95:.1f} ms "
                  f"[target < {TARGET_MS:.0f} ms: {verdict}]")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bodies", type=int, default=50)
    parser.add_argument("--meetings", type=int, default=600)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    report(run_bench(args), args)


if __name__ == "__main__":
    main()
