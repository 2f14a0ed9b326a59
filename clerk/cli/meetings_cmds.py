"""``clerk meetings``, ``clerk attendance`` and ``clerk decisions``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json
from clerk.errors import BadInput
from clerk.times import in_words, to_iso
from clerk.times import parse_start as read_start

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from clerk.rules.verdict import Verdict

# Each command imports the services it calls, so that one command does not load them all.

meetings = typer.Typer(help="Meetings: schedule, list, show, move, cancel and delete.",
                       no_args_is_help=True)
attendance = typer.Typer(help="Replies before a meeting and the register on the day.",
                         no_args_is_help=True)
decisions = typer.Typer(help="Decisions taken at a meeting.", no_args_is_help=True)

MeetingArg = Annotated[str, typer.Argument(help="The meeting, e.g. carers-2027-01-14.")]


def register(app: typer.Typer) -> None:
    app.add_typer(meetings, name="meetings")
    app.add_typer(attendance, name="attendance")
    app.add_typer(decisions, name="decisions")


def parse_start(text: str, zone: ZoneInfo) -> datetime:
    """A meeting's start from ``--at`` (:func:`clerk.times.parse_start`: a date alone is
    refused), or a clear BadInput."""
    try:
        return read_start(text, zone)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def warnings_json(warnings: Sequence[Verdict]) -> list[dict[str, str]]:
    """The warnings on a meeting's time, for ``--json``: each with its code and its sentence."""
    return [{"code": w.code, "text": w.reason} for w in warnings]


def print_warnings(warnings: Sequence[Verdict], ref: str) -> None:
    """Each warning on a meeting's time, as a note: the meeting stands, and how to change it."""
    for w in warnings:
        console.print(f"Note: {w.reason}; the meeting stands (if that is a mistake, change it "
                      f"with `clerk meetings move {ref} --at ...`).", markup=False)


@meetings.command("add")
def add_cmd(
    body: Annotated[str, typer.Argument(help="The body, as named in the configuration.")],
    at: Annotated[str, typer.Option("--at", help='Local date and time, "2027-01-14 10:00".')],
    venue: Annotated[str, typer.Option(help="Where it is held.")] = "",
    online: Annotated[str, typer.Option(help="The joining link for an online meeting.")] = "",
    extraordinary: Annotated[bool, typer.Option(
        "--extraordinary", help="An extraordinary meeting (the body's terms must allow one).")] = False,
    reason: Annotated[str, typer.Option(
        help="Why an extraordinary meeting is called (said in the invitation and on the site; "
             "default: the request's reason).")] = "",
    request: Annotated[str, typer.Option(
        help="The request it answers (clerk meetings requests; default: the body's only open "
             "one).")] = "",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Schedule a meeting (not in the past; a weekend or bank holiday is pointed out)."""
    from clerk.meetings import AddMeeting, schedule_meeting

    clerk = open_app(config)
    starts = parse_start(at, clerk.tz)
    if (reason or request) and not extraordinary:
        raise BadInput("--reason and --request are for an extraordinary meeting: add --extraordinary")
    done = schedule_meeting(clerk, AddMeeting(
        body=body, starts_at=starts, venue=venue, online_url=online,
        kind="extraordinary" if extraordinary else "ordinary", reason=reason, request=request))
    m = done.meeting
    if as_json:
        print_json({"ref": m.ref, "body": m.body, "starts_at": to_iso(m.starts_at),
                    "where": m.where, "added": done.added, "kind": m.kind, "reason": m.reason,
                    "warnings": warnings_json(done.warnings)})
        return
    kind = " (extraordinary" + (f": {m.reason})" if m.reason else ")") \
        if m.kind == "extraordinary" else ""
    console.print(f"{m.ref}: {clerk.body(body).name}, {in_words(m.starts_at, clerk.tz)}, "
                  f"{m.where}{kind}", markup=False)
    print_warnings(done.warnings, m.ref)


@meetings.command("delete")
def delete_cmd(meeting: MeetingArg, config: ConfigOption = None,
               as_json: JsonOption = False) -> None:
    """Delete a meeting added by mistake, before anything is sent or recorded for it (its
    reference is free again); otherwise cancel it with `clerk meetings cancel`."""
    from clerk.meetings import delete_meeting

    clerk = open_app(config)
    m = delete_meeting(clerk, meeting)
    if as_json:
        print_json({"ref": m.ref, "body": m.body, "starts_at": to_iso(m.starts_at),
                    "deleted": True})
        return
    console.print(f"{m.ref} deleted ({clerk.body(m.body).name}, "
                  f"{in_words(m.starts_at, clerk.tz)}); nothing had been sent for it.",
                  markup=False)


@meetings.command("list")
def list_cmd(
    body: Annotated[str | None, typer.Option(help="Only this body.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List meetings, earliest first."""
    from clerk.meetings import list_meetings

    clerk = open_app(config)
    rows = list_meetings(clerk, body)
    if as_json:
        print_json([{"ref": m.ref, "body": m.body, "starts_at": to_iso(m.starts_at),
                     "where": m.where, "status": m.status} for m in rows])
        return
    from rich.table import Table

    table = Table()
    # the reference is what a person types next: never cut short, however narrow the terminal
    table.add_column("meeting", no_wrap=True,
                     min_width=max((len(m.ref) for m in rows), default=len("meeting")))
    for heading in ("body", "when", "where", "status"):
        table.add_column(heading)
    for m in rows:
        table.add_row(m.ref, clerk.body(m.body).label, in_words(m.starts_at, clerk.tz), m.where,
                      m.status)
    console.print(table)


@meetings.command("show")
def show_cmd(meeting: MeetingArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """A meeting: members and their replies, the quorum forecast with its reason, deadlines."""
    from clerk.records import meeting_view

    view = meeting_view(open_app(config), meeting)
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{view['body_name']}[/] — {view['when']}")
    console.print(f"{view['ref']} · {view['where']} · {view['status']}", markup=False)
    from rich.table import Table

    table = Table()
    table.add_column("member")
    # an address is typed or pasted next (attendance reply MEETING EMAIL): never cut short
    table.add_column("email", no_wrap=True,
                     min_width=max((len(r["email"]) for r in view["replies"]), default=5))
    table.add_column("reply")
    for r in view["replies"]:
        reply = r["reply"].replace("_", " ")
        if r["reply"] == "substitute":
            reply = f"apologies; substitute {r['substitute_name']} <{r['substitute_email']}>"
        table.add_row(r["name"], r["email"], reply)
    console.print(table)
    c = view["counts"]
    console.print(f"Attending {c['attend']}, apologies {c['apologies']}, substitutes "
                  f"{c['substitute']}, no reply {c['no_reply']}.")
    console.print(f"Quorum forecast: {view['forecast']['summary']}", markup=False)
    if view["attendance"]:
        word = "quorate" if view["attendance"]["quorate"] else "NOT quorate"
        console.print(f"On the day: {word}: {view['attendance']['reason']}", markup=False)
    for d in view["decisions"]:
        console.print(f"Decision {d['number']}: {d['text']} ({d['status_words']})", markup=False)
    if view.get("observers"):
        _print_observers(view["observers"])
    console.print("\nDeadlines:")
    for d in view["deadlines"]:
        mark = "done/past" if d["past"] else "due"
        console.print(f"  {d['when']}: {d['what']} ({d['why']}) [{mark}]", markup=False)


def _print_observers(obs: dict[str, Any]) -> None:
    """The observers section of ``meetings show``: booked, on offer, waiting."""
    console.print(f"\nObservers: {obs['taken']} of {obs['capacity']} places taken, "
                  f"{len(obs['waiting'])} waiting; bookings close {obs['bookings_close']}.",
                  markup=False)
    for i, b in enumerate(obs["booked"], 1):
        extra = f" (offered until {b['offer_expires']})" if b["status"] == "offered" else ""
        console.print(f"  {i}. {b['name']} <{b['email']}>{extra}", markup=False)
    for i, b in enumerate(obs["waiting"], 1):
        console.print(f"  waiting {i}. {b['name']} <{b['email']}>", markup=False)


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@attendance.command("record")
def record_cmd(
    meeting: MeetingArg,
    present: Annotated[list[str], typer.Option("--present", help="A member (or announced "
                       "substitute) present; repeat, or separate with commas.")] = [],  # noqa: B006
    substitute: Annotated[list[str], typer.Option("--substitute", help="SUB=MEMBER: a substitute "
                          "present for a member; repeat as needed.")] = [],  # noqa: B006
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record who was present; prints whether the meeting was quorate, and why."""
    from clerk.attendance import RecordAttendance, record_attendance

    pairs = []
    for item in _split(substitute):
        sub, sep, member = item.partition("=")
        if not sep:
            raise BadInput(f'--substitute takes SUB=MEMBER (two addresses), got "{item}"')
        pairs.append((sub, member))
    result = record_attendance(open_app(config), RecordAttendance(
        meeting=meeting, present=tuple(_split(present)), substitutes=tuple(pairs)))
    if as_json:
        print_json({"meeting": result.meeting.ref, "quorate": result.quorum.ok,
                    "reason": result.quorum.reason, "chair": result.chair.reason,
                    "present": result.present, "apologies": result.apologies,
                    "absent_without_notice": result.absent_without_notice,
                    "flagged": result.flagged})
        return
    word = "Quorate" if result.quorum.ok else "NOT quorate"
    console.print(f"{word}: {result.quorum.reason}.", markup=False)
    console.print(f"Chair: {result.chair.reason}.", markup=False)
    console.print(f"Present {len(result.present)}, apologies {len(result.apologies)}, "
                  f"absent without notice {len(result.absent_without_notice)}.")
    for email in result.flagged:
        console.print(f"Flag: {email} has been absent without notice at two meetings in a row.",
                      markup=False)


@attendance.command("reply")
def reply_cmd(
    meeting: MeetingArg,
    email: Annotated[str, typer.Argument(help="Who is replying.")],
    attend: Annotated[bool, typer.Option("--attend", help="They will attend.")] = False,
    apologies: Annotated[bool, typer.Option("--apologies", help="They send apologies.")] = False,
    substitute: Annotated[str, typer.Option(help="Apologies, with this substitute's email.")] = "",
    name: Annotated[str, typer.Option(help="The substitute's name.")] = "",
    config: ConfigOption = None,
) -> None:
    """Record a reply given to the facilitator in person or by phone."""
    from clerk.attendance import Intent, RecordReply, record_reply

    options: tuple[tuple[Intent, bool], ...] = (("attend", attend), ("apologies", apologies),
                                                ("substitute", bool(substitute)))
    chosen = [k for k, v in options if v]
    if len(chosen) != 1:
        raise BadInput("give exactly one of --attend, --apologies or --substitute EMAIL")
    out = record_reply(open_app(config), RecordReply(
        meeting=meeting, email=email, intent=chosen[0],
        substitute_email=substitute, substitute_name=name, channel="cli"))
    console.print(f"{out.name}: {out.message}.", markup=False)


@attendance.command("remind")
def remind_cmd(meeting: MeetingArg, config: ConfigOption = None,
               as_json: JsonOption = False) -> None:
    """Remind now everyone who has not replied (the reminder the deadline sends; once a day)."""
    from clerk.attendance import remind_now

    result = remind_now(open_app(config), meeting)
    if as_json:
        print_json({"meeting": result.meeting.ref, "queued": result.queued,
                    "already": result.already, "undeliverable": result.undeliverable})
        return
    console.print(f"{result.meeting.ref}: {result.message}.", markup=False)
    if result.queued:
        console.print("Run `clerk mail send` to send the outbox now.")


@decisions.command("add")
def add_decision_cmd(
    meeting: MeetingArg,
    text: Annotated[str, typer.Argument(help="The decision, as minuted.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a decision taken at a meeting."""
    from clerk.attendance import AddDecision, add_decision

    d = add_decision(open_app(config), AddDecision(meeting=meeting, text=text))
    if as_json:
        print_json({"meeting": d.meeting, "number": d.number, "text": d.text,
                    "status": d.status, "reason": d.reason})
        return
    console.print(f"Decision {d.number} recorded: {d.status_words}. ({d.reason})", markup=False)


@decisions.command("list")
def list_decisions_cmd(meeting: MeetingArg, config: ConfigOption = None,
                       as_json: JsonOption = False) -> None:
    """The decisions of a meeting and their status."""
    from clerk.attendance import list_decisions

    rows = list_decisions(open_app(config), meeting)
    if as_json:
        print_json([{"number": d.number, "text": d.text, "status": d.status} for d in rows])
        return
    for d in rows:
        console.print(f"{d.number}. {d.text} — {d.status_words}", markup=False)


@decisions.command("refer")
def refer_decision_cmd(
    meeting: MeetingArg,
    number: Annotated[int, typer.Argument(help="The decision's number (clerk decisions list).")],
    to: Annotated[str, typer.Option("--to", help="The body to refer it to, by slug or name "
                                                 "(default: decisions.unresolved.refer_to, "
                                                 "else the one body of reports_to).")] = "",
    note: Annotated[str, typer.Option("--note", help="A note for both facilitators.")] = "",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Refer a decision the body could not resolve to another body: it goes on that body's next
    agenda with a link back, and both facilitators are emailed."""
    from clerk.attendance import ReferDecision, refer_decision

    r = refer_decision(open_app(config), ReferDecision(meeting=meeting, number=number, to=to,
                                                       note=note))
    if as_json:
        print_json({"meeting": r.decision.meeting, "number": r.decision.number,
                    "text": r.decision.text, "to": r.to_body, "on_agenda_of": r.to_meeting,
                    "note": r.note, "already": r.already, "told": list(r.told)})
        return
    where = (f"on the agenda of {r.to_meeting}" if r.to_meeting
             else f"on the {r.to_label}'s next agenda, once a meeting is scheduled")
    if r.already:
        console.print(f"Decision {r.decision.number} was already referred to the {r.to_label}; "
                      f"it is {where}.", markup=False)
        return
    console.print(f"Decision {r.decision.number} referred to the {r.to_label}: {where}.",
                  markup=False)
    if r.told:
        console.print(f"Told: {', '.join(r.told)}. Run `clerk mail send` to send the outbox now.",
                      markup=False)
