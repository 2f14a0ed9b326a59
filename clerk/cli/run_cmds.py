"""``clerk run`` (the one long-running process) and ``clerk schedule`` (what is due next)."""

from __future__ import annotations

from typing import Annotated

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json
from clerk.log_format import LogFormat  # an enum only: cheap to load
from clerk.times import in_words, to_iso


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)
    app.command("schedule")(schedule_cmd)


def run_cmd(
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="Do one round (catch up, send, read) and "
                                       "exit, instead of running until stopped.")] = False,
    log_format: Annotated[LogFormat, typer.Option(
        "--log-format", help="text (a line per event) or json (an object per line, for log "
        "collectors).")] = LogFormat.TEXT,
) -> None:
    """Run clerk: keep every deadline, send the outbox, read replies (and run the bot).
    SIGTERM or Ctrl-C stops it within 5 s, after the message in hand."""
    from clerk.composition.run import run_service

    clerk = open_app(config)
    run_service(clerk, once=once, log_format=log_format)


def schedule_cmd(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 30,
    as_json: JsonOption = False,
) -> None:
    """List what is due next: when, what, for which meeting, and why."""
    from clerk.composition.commands import next_due

    clerk = open_app(config)
    jobs = next_due(clerk, limit)
    now = clerk.clock.now()
    if as_json:
        print_json([{"at": to_iso(j.at), "when": in_words(j.at, clerk.tz), "kind": j.kind,
                     "for": j.subject_ref, "what": j.what, "why": j.why, "overdue": j.at <= now}
                    for j in jobs])
        return
    from rich.table import Table

    table = Table("when", "what", "for", "why")
    for j in jobs:
        when = in_words(j.at, clerk.tz) + (" (overdue: runs at start)" if j.at <= now else "")
        table.add_row(when, j.what, j.subject_ref, j.why)
    console.print(table)
    if not jobs:
        console.print("Nothing is due: add a meeting with clerk meetings add.")
