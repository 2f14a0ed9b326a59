"""``clerk invite``, ``clerk meetings move|cancel``, ``clerk mail send|outbox``."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clerk.cli.common import ConfigOption, JsonOption, check_choice, console, open_app, print_json
from clerk.cli.mail_cmds import mail
from clerk.cli.meetings_cmds import MeetingArg, meetings, parse_start, print_warnings, warnings_json
from clerk.store.schema import OUTBOX_STATUSES as STATUSES  # (the outbox itself loads when a command runs)
from clerk.times import from_iso, in_words, to_iso

if TYPE_CHECKING:
    from clerk.app import Clerk
    from clerk.attendance import InviteResult
    from mail.sender import DrainReport


def _result_json(result: InviteResult) -> dict[str, Any]:
    m = result.meeting
    return {"meeting": m.ref, "starts_at": to_iso(m.starts_at), "where": m.where,
            "status": m.status, "sequence": m.sequence, "changed": result.changed,
            "queued": result.queued, "already": result.already, "observers": result.observers,
            "undeliverable": [{"email": e, "reason": r} for e, r in result.undeliverable]}


def _print_result(result: InviteResult, what: str) -> None:
    console.print(f"{result.meeting.ref}: {what}; {result.message}.", markup=False)
    for email, reason in result.undeliverable:
        console.print(f"  not sent to {email}: mail to them bounces ({reason})", markup=False)
    console.print("Run `clerk mail send` to send the outbox now.")


def invite_cmd(meeting: MeetingArg, config: ConfigOption = None,
               as_json: JsonOption = False) -> None:
    """Queue an invitation, with a calendar invitation, to every member of the meeting's body."""
    from clerk.attendance import invite

    clerk = open_app(config)
    result = invite(clerk, meeting)
    if as_json:
        print_json(_result_json(result))
        return
    _print_result(result, f"invitations for {in_words(result.meeting.starts_at, clerk.tz)}")


@meetings.command("move")
def move_cmd(
    meeting: MeetingArg,
    at: Annotated[str, typer.Option("--at", help='New local date and time, "2027-01-21 10:00".')],
    venue: Annotated[str | None, typer.Option(help="A new place (leave out to keep it).")] = None,
    online: Annotated[str | None, typer.Option(help="A new joining link (leave out to keep it).")]
    = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move a meeting; everyone invited is sent the new time and an updated calendar entry."""
    from clerk.attendance import move_meeting

    clerk = open_app(config)
    starts = parse_start(at, clerk.tz)
    result = move_meeting(clerk, meeting, starts, venue=venue, online_url=online)
    if as_json:
        print_json({**_result_json(result), "warnings": warnings_json(result.warnings)})
        return
    if not result.changed:
        console.print(f"{result.meeting.ref} is already at that time and place; nothing sent.",
                      markup=False)
        return
    _print_result(result, f"moved to {in_words(result.meeting.starts_at, clerk.tz)}, "
                          f"{result.meeting.where}")
    print_warnings(result.warnings, result.meeting.ref)


@meetings.command("cancel")
def cancel_cmd(
    meeting: MeetingArg,
    reason: Annotated[str, typer.Option(help="Why, in a sentence for the members.")] = "",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel a meeting; everyone invited is told, and it is taken out of their calendars."""
    from clerk.attendance import cancel_meeting

    result = cancel_meeting(open_app(config), meeting, reason)
    if as_json:
        print_json(_result_json(result))
        return
    if not result.changed:
        console.print(f"{result.meeting.ref} was already cancelled; nothing sent.", markup=False)
        return
    _print_result(result, "cancelled")


#: sysexits.h "temporary failure; the user is invited to retry": mail was left unsent for a
#: reason that may pass (distinct from 1, a crash, and 2, a usage or configuration error).
EX_TEMPFAIL = 75


@mail.command("send")
def send_cmd(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Send every message in the outbox that is due now (once), and say what happened.

    Exit status 0 when nothing was left unsent for a reason that may pass (a message refused
    for good, e.g. a 550 for one address, is final: it is reported, and listed by `clerk mail
    outbox --status failed`); 75 (EX_TEMPFAIL, "try again later") when the server was down or
    refused us, or refused messages for now: that mail stays queued."""
    from clerk.cli.common import err_console
    from clerk.composition.commands import send_outbox  # the adapter: only when mail is sent
    from clerk.outbox import outbox_counts

    clerk = open_app(config)
    shown = _SendProgress(clerk, quiet=as_json)
    try:
        with shown:
            report = send_outbox(clerk, on_progress=shown.update)
    except KeyboardInterrupt:  # the message in hand was put back: the rest stay queued
        left = outbox_counts(clerk)["queued"]
        err_console.print(f"Stopped: {shown.sent} sent; {left} message"
                          f"{'s stay' if left != 1 else ' stays'} queued and will be sent by "
                          "clerk run or the next clerk mail send.", markup=False)
        raise typer.Exit(130) from None
    counts = outbox_counts(clerk)
    if as_json:
        print_json({"sent": report.sent, "retrying": report.retrying, "failed": report.failed,
                    "skipped": report.skipped, "recovered": report.recovered,
                    "stopped": report.stopped, "transport": report.transport,
                    "outbox": counts})
    else:
        where = (f"into {clerk.config.maildir_path / 'outbox'}" if report.transport == "maildir"
                 else "by SMTP")
        console.print(f"Outbox {where}: {report.message}", markup=False)
        console.print(f"Waiting in the outbox: {counts['queued']}.")
        if report.failed:
            console.print("See `clerk mail outbox --status failed` for the reasons.")
    left = counts["queued"] + counts["sending"]
    later = f"{left} message{'s stay' if left != 1 else ' stays'} queued and will be sent by clerk run"
    if report.stopped:
        why = report.stopped.rstrip(". ")
        err_console.print(f"{why[:1].upper()}{why[1:]}. {later[:1].upper()}{later[1:]}.",
                          markup=False)
        raise typer.Exit(EX_TEMPFAIL)
    if report.retrying:
        err_console.print(f"The server refused {report.retrying} message"
                          f"{'s' if report.retrying != 1 else ''} for now: {later}.", markup=False)
        raise typer.Exit(EX_TEMPFAIL)


def _pace_words(per_minute: float) -> str:
    shown = f"{per_minute:.0f}" if per_minute >= 10 else f"{per_minute:.1f}".rstrip("0").rstrip(".")
    return f"at {shown} a minute"


def _about(when: datetime, tz: tzinfo, now: datetime) -> str:
    local = when.astimezone(tz)
    return f"{local:%H:%M}" if local.date() == now.astimezone(tz).date() else f"{local:%a %d %b %H:%M}"


class _SendProgress:
    """What ``clerk mail send`` shows while it sends: a progress bar on a terminal; otherwise,
    when the outbox is paced, a plain line now and then ("Sent 40 of 200; at 30 a minute, done
    by about 14:07")."""

    def __init__(self, clerk: Clerk, *, quiet: bool) -> None:
        from clerk.outbox import due_count

        self.clerk = clerk
        self.total = 0 if quiet else due_count(clerk)
        smtp = clerk.config.mail.smtp
        self.per_minute: float | None = smtp.max_per_minute if smtp is not None else None
        self.sent = 0
        self.done = 0
        self.bar: Any = None
        self.task: Any = None
        self.every = max(10, self.total // 10)
        self.quiet = quiet or self.total == 0

    def __enter__(self) -> _SendProgress:
        if self.quiet:
            return self
        if console.is_terminal:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(TextColumn("Sending"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[pace]}"), console=Console(highlight=False))
            self.task = self.bar.add_task("send", total=self.total, pace=self._eta())
            self.bar.start()
        elif self.per_minute is not None:
            console.print(f"{self.total} to send; {self._eta()}.", markup=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, report: DrainReport) -> None:
        self.sent = report.sent
        self.done = report.sent + report.failed + report.retrying
        self.per_minute = report.per_minute
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.update(self.task, completed=min(self.done, self.total), pace=self._eta())
        elif self.per_minute is not None and self.done < self.total and self.done % self.every == 0:
            console.print(f"Sent {self.sent} of {self.total}; {self._eta()}.", markup=False)

    def _eta(self) -> str:
        if self.per_minute is None:
            return ""
        now = self.clerk.clock.now()
        left = max(0, self.total - self.done)
        done_by = now + timedelta(seconds=left * 60 / self.per_minute)
        return f"{_pace_words(self.per_minute)}, done by about {_about(done_by, self.clerk.tz, now)}"


@mail.command("outbox")
def outbox_cmd(
    status: Annotated[str | None, typer.Option(help=f"Only one status: {', '.join(STATUSES)}.")]
    = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 200,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The messages queued, sent and failed, newest first."""
    from clerk.outbox import list_outbox, outbox_counts, progress

    check_choice("--status", status, STATUSES)
    clerk = open_app(config)
    rows = list_outbox(clerk, status, limit)
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    from rich.table import Table

    table = Table("id", "to", "kind", "about", "status", "tries", "when", "note")
    for r in rows:
        when = r.sent_at if r.status == "sent" else (
            r.next_attempt_at if r.status == "queued" else r.created_at)
        table.add_row(str(r.id), r.to_addr, r.kind, r.subject_ref, r.status, str(r.attempts),
                      f"{from_iso(when).astimezone(clerk.tz):%d %b %Y %H:%M}" if when else "",
                      r.last_error)
    console.print(table)
    counts = outbox_counts(clerk)
    console.print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "The outbox is empty.")
    now = progress(clerk)
    if now.per_minute is not None and now.done_by is not None:
        console.print(f"{now.queued} queued; {_pace_words(now.per_minute)}, done by about "
                      f"{_about(now.done_by, clerk.tz, clerk.clock.now())}.", markup=False)


def register(app: typer.Typer) -> None:
    """Attach the top-level commands of this module to the root app (the mail group is shared)."""
    app.command("invite")(invite_cmd)
