"""``clerk mail ingest``, ``clerk mail read`` and ``clerk mail inbox``: replies read and replayed.

``ingest`` hands raw messages from files to the same code path as mail arriving by IMAP; it is
how a facilitator replays a message (one that was quarantined, say) and how tests drive the
pipeline. Answers it queues are sent by ``clerk mail send`` (or the running service).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clerk.cli.common import (
    ConfigOption,
    JsonOption,
    check_choice,
    console,
    err_console,
    open_app,
    print_json,
)
from clerk.cli.mail_cmds import mail
from clerk.times import from_iso, in_words

if TYPE_CHECKING:  # the services are imported by the commands that call them
    from clerk.mail_in import InboundOutcome

STATUSES = ("processed", "ignored", "refused", "unclear", "quarantined")


def _line(result: InboundOutcome) -> str:
    understood = f"understood: {result.understood}; " if result.understood else ""
    return f"from {result.from_addr or '(no sender)'}: {understood}{result.status}: " \
           f"{result.action}"


@mail.command("ingest")
def ingest_cmd(
    files: Annotated[list[Path], typer.Argument(help="Raw messages (.eml files), one per file.",
                                                show_default=False)],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Process raw messages from files exactly as if they had arrived in the inbox.

    Prints one line per message: who it is from, what was understood, what was done. Exits 0
    even when messages are refused; 2 only when a file cannot be read.
    """
    from clerk.composition.commands import ingest_files  # the adapter: only when mail is read

    clerk = open_app(config)
    rows: list[dict[str, Any]] = []  # in the order of the files given
    unreadable = 0
    queued = 0
    readable: list[tuple[int, Path, bytes]] = []
    for path in files:
        try:
            readable.append((len(rows), path, path.read_bytes()))
            rows.append({"file": str(path)})
        except OSError as exc:
            unreadable += 1
            rows.append({"file": str(path), "error": f"cannot read the file: "
                                                     f"{exc.strerror or exc}"})
    results = ingest_files(clerk, [raw for _, _, raw in readable])
    for (index, _path, _raw), result in zip(readable, results, strict=True):
        queued += len(result.queued)
        rows[index].update(result.to_json())
        rows[index]["line"] = _line(result)
    if not as_json:
        for row in rows:
            if "error" in row:
                err_console.print(f"{row['file']}: {row['error']}", markup=False)
            else:
                console.print(f"{row['file']}: {row.pop('line')}", markup=False)
    for row in rows:
        row.pop("line", None)
    if as_json:
        print_json(rows)
    elif queued:
        console.print(f"{queued} answer(s) queued: run `clerk mail send` to send them now.")
    if unreadable:
        raise typer.Exit(2)


@mail.command("read")
def read_cmd(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Read the inbox once, to the end (IMAP if configured, else the local Maildir)."""
    from clerk.composition.commands import read_inbox_once

    clerk = open_app(config)
    where, report = read_inbox_once(clerk)
    if as_json:
        print_json({"inbox": where, "read": [r.to_json() for r in report.results],
                    "filed_again": report.moved_again})
        return
    for result in report.results:
        console.print(_line(result), markup=False)
    console.print(f"Inbox {where}: {report.message}", markup=False)
    if any(r.queued for r in report.results):
        console.print("Run `clerk mail send` to send the answers now.")


@mail.command("inbox")
def inbox_cmd(
    status: Annotated[str | None, typer.Option(help=f"Only one status: {', '.join(STATUSES)}.")]
    = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The messages read recently, newest first: from whom, what was understood and done."""
    from clerk.mail_in import list_inbound

    check_choice("--status", status, STATUSES)
    clerk = open_app(config)
    rows = list_inbound(clerk, status, limit)
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    for r in rows:
        when = in_words(from_iso(r.received_at), clerk.tz)
        console.print(f"#{r.id} {when}, from {r.from_addr or '(no sender)'}: "
                      f"{r.status}: {r.action}", markup=False)
        if r.understood:
            console.print(f"    understood: {r.understood}", markup=False)
    if not rows:
        console.print("No messages have been read yet.")


def register(app: typer.Typer) -> None:
    """Attach the top-level commands of this module to the root app (the mail group is shared)."""
