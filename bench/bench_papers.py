"""Circulating a 10 MB paper pack to 1,000 recipients through a local SMTP server: clerk's time
and peak memory, beside the time aiosmtplib alone takes to send the same messages.

Targets: clerk at most 1.2 x the bare send time (the pack's MIME is built once, not once per
recipient) and a peak resident memory under 150 MB.

    .venv/bin/python -m bench.bench_papers                      # 1,000 recipients, 10 MB
    .venv/bin/python -m bench.bench_papers --recipients 50 --size-mb 2

What is measured, each phase in a process of its own (so each peak memory is its own):

- ``clerk``: from the approved agenda, ``circulate_papers`` (read the papers, encode the pack
  once, queue a message per recipient) and ``send_outbox`` (claim, send and record each message
  over one SMTP connection). Setting up the database, members and papers is not timed.
- ``bare``: the very bytes clerk sent (each head plus the shared pack, read from clerk's database
  beforehand, not timed) sent with ``aiosmtplib.SMTP.sendmail`` over one connection.

The server is ``bench.smtp_discard`` (aiosmtpd, reading DATA in bulk and discarding it) in a
process of its own, so the server does not share the client's core or memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIME_RATIO = 1.2
PEAK_MB = 150


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- phase: clerk


def _clerk_app(workdir: Path, port: int, recipients: int, size_mb: float) -> Any:
    from clerk.app import Clerk
    from clerk.clock import FakeClock
    from clerk.config import parse_config
    from clerk.people.bodies import sync_bodies
    from clerk.people.membership import import_members
    from clerk.store import open_store

    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["mail"]["maildir"] = str(workdir / "mail")
    data["mail"]["smtp"] = {"host": "127.0.0.1", "port": port, "starttls": False,
                            "timeout_seconds": 120}
    members = (ROOT / "members.example.csv").read_text(encoding="utf-8")
    n_members = sum(1 for line in members.splitlines() if line.startswith("carers,"))
    extra = [f"reader{n:04d}@partners.example.org" for n in range(max(0, recipients - n_members))]
    data["bodies"]["carers"]["papers"] = {**data["bodies"]["carers"]["papers"],
                                          # the whole pack in one email, base64 included
                                          "attachment_limit_mb": size_mb * 1.4 + 1,
                                          "distribution_extra": extra}
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    app = Clerk(parse_config(data, ROOT / "config.example.toml"),
                open_store(workdir / "clerk.db"), clock)
    sync_bodies(app)
    import_members(app, members)
    return app


def phase_clerk(workdir: Path, port: int, recipients: int, size_mb: float,
                papers: int) -> dict[str, Any]:
    from clerk.agenda.approval import ApproveAgenda, approve_agenda
    from clerk.agenda.circulation import circulate_papers
    from clerk.agenda.items import AddItem, add_item
    from clerk.meetings.schedule import AddMeeting, add_meeting
    from clerk.store.files import FileUpload
    from clerk.times import parse_local
    from mail.sender import send_outbox

    app = _clerk_app(workdir, port, recipients, size_mb)
    meeting = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz)))
    rng = random.Random(7)
    each = int(size_mb * 1_000_000 / papers)
    for n in range(papers):
        content = b"%PDF-1.7\n" + rng.randbytes(each - 9)  # incompressible, like real PDFs
        add_item(app, AddItem(meeting.ref, f"Report {n + 1}",
                              papers=(FileUpload(f"Report {n + 1}.pdf", content),)))
        del content
    approve_agenda(app, ApproveAgenda(meeting.ref, "alice.ashworth@example.org"))
    app.store.db.execute("DELETE FROM outbox")  # only the papers are measured
    setup_peak = _peak_mb()

    start = time.perf_counter()
    result = circulate_papers(app, meeting.ref)
    queued = time.perf_counter()
    report = send_outbox(app)
    done = time.perf_counter()
    sizes = app.store.one("SELECT COUNT(*) AS n, SUM(LENGTH(raw)) AS heads FROM outbox")
    body = app.store.one("SELECT COUNT(*) AS n, SUM(size) AS size FROM outbox_bodies")
    app.store.close()
    return {"phase": "clerk", "recipients": len(result.recipients), "sent": report.sent,
            "failed": report.failed, "circulate_s": queued - start, "send_s": done - queued,
            "total_s": done - start, "peak_mb": _peak_mb(), "setup_peak_mb": setup_peak,
            "outbox_rows": sizes["n"] if sizes else 0,
            "heads_bytes": sizes["heads"] if sizes else 0,
            "shared_bodies": body["n"] if body else 0,
            "shared_body_bytes": body["size"] if body else 0}


# ----------------------------------------------------------------------------- phase: bare


def phase_bare(workdir: Path, port: int) -> dict[str, Any]:
    import sqlite3

    import aiosmtplib

    conn = sqlite3.connect(workdir / "clerk.db")
    rows = conn.execute("SELECT to_addr, raw, body_id FROM outbox ORDER BY id").fetchall()
    bodies = {i: bytes(b) for i, b in conn.execute("SELECT id, body FROM outbox_bodies")}
    conn.close()
    sender = "clerk@clerk.example.org"

    async def send_all() -> float:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=120)
        await smtp.connect()
        start = time.perf_counter()
        for to_addr, head, body_id in rows:
            await smtp.sendmail(sender, [to_addr], bytes(head) + bodies[body_id])
        elapsed = time.perf_counter() - start
        await smtp.quit()
        return elapsed

    elapsed = asyncio.run(send_all())
    return {"phase": "bare", "sent": len(rows), "total_s": elapsed, "peak_mb": _peak_mb()}


# ----------------------------------------------------------------------------- orchestration


def _phase(name: str, workdir: Path, port: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_papers", "--phase", name, "--workdir",
               str(workdir), "--port", str(port), "--recipients", str(args.recipients),
               "--size-mb", str(args.size_mb), "--papers", str(args.papers)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"the {name} phase failed:\n{run.stdout}\n{run.stderr}")
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Start the sink, run the clerk phase and then the bare phase; the figures and verdicts."""
    workdir = Path(tempfile.mkdtemp(prefix="clerk-bench-papers-"))
    port = _free_port()
    sink = subprocess.Popen([sys.executable, "-m", "bench.smtp_discard", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        if sink.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        ours = _phase("clerk", workdir, port, args)
        bare = _phase("bare", workdir, port, args)
    finally:
        sink.terminate()
        sink.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    ratio = ours["total_s"] / bare["total_s"] if bare["total_s"] else float("inf")
    return {"recipients": args.recipients, "size_mb": args.size_mb, "papers": args.papers,
            "clerk": ours, "bare": bare, "ratio": ratio,
            "time_ok": ratio <= TIME_RATIO, "memory_ok": ours["peak_mb"] < PEAK_MB}


def _print(result: dict[str, Any]) -> None:
    ours, bare = result["clerk"], result["bare"]
    print(f"Circulating a {result['size_mb']:g} MB pack ({result['papers']} papers) to "
          f"{ours['recipients']} recipients through a local SMTP server:")
    print(f"  clerk:          {ours['total_s']:8.2f} s  (circulate {ours['circulate_s']:.2f} s, "
          f"send {ours['send_s']:.2f} s), peak memory {ours['peak_mb']:.0f} MB")
    print(f"  aiosmtplib:     {bare['total_s']:8.2f} s  (the same {bare['sent']} messages)")
    print(f"  ratio:          {result['ratio']:8.2f} x  (target <= {TIME_RATIO}: "
          f"{'met' if result['time_ok'] else 'NOT met'})")
    print(f"  peak memory:    {ours['peak_mb']:8.0f} MB (target < {PEAK_MB}: "
          f"{'met' if result['memory_ok'] else 'NOT met'})")
    print(f"  stored:         {ours['shared_bodies']} shared body of "
          f"{ours['shared_body_bytes'] / 1e6:.1f} MB, {ours['outbox_rows']} outbox heads of "
          f"{ours['heads_bytes'] / 1e6:.1f} MB in all")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--size-mb", type=float, default=10.0)
    parser.add_argument("--papers", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--phase", choices=["clerk", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "clerk":
        print(json.dumps(phase_clerk(args.workdir, args.port, args.recipients, args.size_mb,
                                     args.papers)))
        return 0
    if args.phase == "bare":
        print(json.dumps(phase_bare(args.workdir, args.port)))
        return 0
    os.environ.setdefault("PYTHONHASHSEED", "0")
    result = run_bench(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0 if result["time_ok"] and result["memory_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
