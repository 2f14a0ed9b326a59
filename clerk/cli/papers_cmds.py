"""``clerk agenda add|rename|move|remove|show|send|approve``, ``clerk papers add|send``, ``clerk minutes
add|approve|show``, ``clerk declare`` and ``clerk publish``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json
from clerk.cli.meetings_cmds import MeetingArg
from clerk.errors import BadInput, Refused
from clerk.times import in_words

if TYPE_CHECKING:  # each command imports the services it calls
    from clerk.agenda.items import Agenda, PaperInfo, PapersSchedule
    from clerk.store.files import FileUpload

agenda_app = typer.Typer(help="The agenda of a meeting, and the Chair's approval.",
                         no_args_is_help=True)
papers_app = typer.Typer(help="Papers for agenda items, and their circulation.",
                         no_args_is_help=True)
minutes_app = typer.Typer(help="Minutes: record, circulate, approve.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(agenda_app, name="agenda")
    app.add_typer(papers_app, name="papers")
    app.add_typer(minutes_app, name="minutes")
    app.command("declare")(declare_cmd)
    app.command("publish")(publish_cmd)


def _upload(path: Path) -> FileUpload:
    from clerk.store.files import FileUpload

    try:
        return FileUpload(path.name, path.read_bytes())
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None


def _agenda_json(agenda: Agenda, schedule: PapersSchedule | None = None) -> dict[str, Any]:
    def paper(p: PaperInfo) -> dict[str, Any]:
        out: dict[str, Any] = {"file": p.filename, "size": p.size, "sha256": p.sha256,
                               "circulated": p.circulated}
        if schedule is not None:
            sent = schedule.sent_in(p)
            out |= {"circulated_in": sent.name if sent else None,
                    "late": schedule.paper_late(p), "held": schedule.paper_held(p)}
        return out

    data: dict[str, Any] = {
        "meeting": agenda.meeting.ref, "version": agenda.version,
        "needs_approval": agenda.needs_approval, "approved": agenda.approved,
        "approved_by": agenda.approved_by, "sha256": agenda.sha256}
    if schedule is not None:
        data |= {"papers_due": schedule.due_on.isoformat(), "papers_notice": schedule.notice,
                 "papers_late": schedule.late,
                 "circulations": [{"kind": c.kind, "number": c.number,
                                   "sent_on": c.sent_on.isoformat(), "late": c.late,
                                   "timing": c.timing} for c in schedule.circulations]}
    data["items"] = [{"number": i.number, "title": i.title, "lead": i.lead, "kind": i.kind,
                      "papers": [paper(p) for p in i.papers]} for i in agenda.items]
    return data


def _schedule_lines(schedule: PapersSchedule) -> list[str]:
    """When the papers are due and how each circulation went, LATE where it was."""
    from clerk.rules.papers import day_words

    due = day_words(schedule.due_on)
    if schedule.overdue:
        return [f"LATE: the papers were due by {due} and have not been circulated."]
    lines = [f"Papers due by {due} ({schedule.notice}' notice)"
             + ("; not circulated yet." if not schedule.circulations else ".")]
    for c in schedule.circulations:
        what = f"{c.name} circulated on {day_words(c.sent_on)}"
        if not c.late:
            lines.append(what[0].upper() + what[1:] + ".")
            continue
        days = (c.sent_on - schedule.due_on).days
        lines.append(f"LATE: {what}, {days} day{'' if days == 1 else 's'} after they were due.")
    return lines


def _print_agenda(agenda: Agenda, tz: Any, schedule: PapersSchedule | None = None) -> None:
    from clerk.agenda.circulation import size_words

    m = agenda.meeting
    console.print(f"{m.ref}: agenda for {in_words(m.starts_at, tz)} (version {agenda.version})",
                  markup=False)
    for line in _schedule_lines(schedule) if schedule is not None else []:
        console.print(line, markup=False)
    for item in agenda.items:
        lead = f" (lead: {item.lead_name})" if item.lead_name else ""
        console.print(f"  {item.number:>2}. {item.title}{lead}", markup=False)
        for p in item.papers:
            sent = schedule.sent_in(p) if schedule is not None else None
            state = ("circulated" if p.circulated else "not yet circulated") if sent is None \
                else ("circulated with the papers" if sent.kind == "papers"
                      else f"circulated in {sent.name}")
            if schedule is not None and schedule.paper_held(p):
                state += ", but held back: too large to email"
            if schedule is not None and schedule.paper_late(p):
                state += ", LATE" if p.circulated else "; LATE if it goes now"
            console.print(f"        {p.filename} ({size_words(p.size)}, {state})", markup=False)
    if not agenda.needs_approval:
        console.print("The Chair's approval is not needed for this body.")
    elif agenda.approved:
        console.print(f"Approved by {agenda.approved_by}.", markup=False)
    else:
        sent_to = (f"draft version {agenda.sent_version} sent to the Chair"
                   if agenda.sent_version else "not yet sent to the Chair (clerk agenda send)")
        console.print(f"Not approved yet: {sent_to}.", markup=False)


@agenda_app.command("add")
def agenda_add_cmd(
    meeting: MeetingArg,
    title: Annotated[str, typer.Argument(help="The item's title.")],
    lead: Annotated[str, typer.Option("--lead", help="Who leads the item (email).")] = "",
    paper: Annotated[list[Path] | None, typer.Option("--paper", help="A paper for the item "
                                                     "(repeat for more).")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an item to a meeting's agenda, with its papers."""
    from clerk.agenda import AddItem, add_item, read_agenda
    from clerk.meetings import get_meeting

    clerk = open_app(config)
    uploads = tuple(_upload(p) for p in paper or [])
    item = add_item(clerk, AddItem(meeting, title, lead=lead, papers=uploads))
    agenda = read_agenda(clerk, clerk.store.db, get_meeting(clerk, meeting))
    if as_json:
        print_json(_agenda_json(agenda))
        return
    console.print(f"Item {item.number} added: {item.title}.", markup=False)
    _print_agenda(agenda, clerk.tz)


def _item_id(clerk: Any, meeting: str, number: int,
             change: Literal["rename", "move", "remove"]) -> int:
    """The stored id of agenda item ``number`` (a standing item not stored yet has none)."""
    from clerk.agenda import read_agenda
    from clerk.meetings import get_meeting
    from clerk.rules.papers import may_change_item

    item = read_agenda(clerk, clerk.store.db, get_meeting(clerk, meeting)).item(number)
    if item.id is None:
        raise Refused(may_change_item(change, standing=True).reason)
    return item.id


ItemArg = Annotated[int, typer.Argument(help="The item's number on the agenda.")]


@agenda_app.command("rename")
def agenda_rename_cmd(meeting: MeetingArg, item: ItemArg,
                      title: Annotated[str, typer.Argument(help="The new title.")],
                      config: ConfigOption = None) -> None:
    """Give an agenda item (not a standing one) a new title."""
    from clerk.agenda import RenameItem, rename_item

    clerk = open_app(config)
    result = rename_item(clerk, RenameItem(meeting, _item_id(clerk, meeting, item, "rename"),
                                           title))
    console.print(result.message[0].upper() + result.message[1:] + ".", markup=False)


@agenda_app.command("move")
def agenda_move_cmd(
    meeting: MeetingArg, item: ItemArg,
    up: Annotated[bool, typer.Option("--up/--down", help="Move it one place up, or down.")],
    config: ConfigOption = None,
) -> None:
    """Move an agenda item (not a standing one) one place up or down."""
    from clerk.agenda import MoveItem, move_item

    clerk = open_app(config)
    result = move_item(clerk, MoveItem(meeting, _item_id(clerk, meeting, item, "move"),
                                       "up" if up else "down"))
    console.print(result.message[0].upper() + result.message[1:] + ".", markup=False)


@agenda_app.command("remove")
def agenda_remove_cmd(meeting: MeetingArg, item: ItemArg, config: ConfigOption = None) -> None:
    """Remove an agenda item (not a standing one, nor one whose papers were circulated)."""
    from clerk.agenda import RemoveItem, remove_item

    clerk = open_app(config)
    result = remove_item(clerk, RemoveItem(meeting, _item_id(clerk, meeting, item, "remove")))
    console.print(result.message[0].upper() + result.message[1:] + ".", markup=False)


@agenda_app.command("show")
def agenda_show_cmd(meeting: MeetingArg, config: ConfigOption = None,
                    as_json: JsonOption = False) -> None:
    """Show the agenda, its papers, the Chair's approval and declarations of interest."""
    from clerk.agenda import list_declarations, papers_schedule, read_agenda
    from clerk.meetings import get_meeting

    clerk = open_app(config)
    found = get_meeting(clerk, meeting)
    agenda = read_agenda(clerk, clerk.store.db, found)
    schedule = papers_schedule(clerk, clerk.store.db, found)
    declared = list_declarations(clerk, meeting)
    if as_json:
        print_json({**_agenda_json(agenda, schedule),
                    "declarations": [d.__dict__ for d in declared]})
        return
    _print_agenda(agenda, clerk.tz, schedule)
    for d in declared:
        console.print(f"Declared: item {d.item}, {d.name}: {d.interest}", markup=False)


@agenda_app.command("send")
def agenda_send_cmd(meeting: MeetingArg, config: ConfigOption = None,
                    as_json: JsonOption = False) -> None:
    """Email the draft agenda to the Chair to approve by replying."""
    from clerk.agenda import send_draft

    clerk = open_app(config)
    result = send_draft(clerk, meeting)
    if as_json:
        print_json(result.__dict__)
        return
    if result.already:
        console.print(f"Draft version {result.version} was already sent; nothing new.")
        return
    console.print(f"Draft agenda (version {result.version}) queued for "
                  f"{', '.join(result.sent_to)}. Run `clerk mail send` to send it now.",
                  markup=False)


@agenda_app.command("approve")
def agenda_approve_cmd(
    meeting: MeetingArg,
    by: Annotated[str, typer.Option("--by", help="The Chair's email (an approval given in "
                                                 "person or by phone).")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the Chair's approval given outside email (only the Chair, or Vice-Chair where
    allowed)."""
    from clerk.agenda import ApproveAgenda, approve_agenda

    clerk = open_app(config)
    outcome = approve_agenda(clerk, ApproveAgenda(meeting, by, channel="cli",
                                                  evidence={"recorded_by": "facilitator"}))
    if as_json:
        print_json(outcome.__dict__)
    elif outcome.status != "refused":
        console.print(f"{outcome.meeting}: {outcome.message}.", markup=False)
    if outcome.status == "refused":
        raise Refused(outcome.message)


@papers_app.command("add")
def papers_add_cmd(
    meeting: MeetingArg,
    file: Annotated[Path, typer.Argument(help="The paper.")],
    item: Annotated[int, typer.Option("--item", help="The agenda item number.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a paper to an agenda item (after circulation it goes out as a supplement)."""
    from clerk.agenda import AddPaper, add_paper

    clerk = open_app(config)
    result = add_paper(clerk, AddPaper(meeting, item, _upload(file)))
    if as_json:
        print_json({"status": result.status, "item": result.item, "file": result.paper.filename,
                    "sha256": result.paper.sha256, "supplement": result.supplement})
        return
    words = {"added": "added to", "replaced": "replaces the earlier version for",
             "same": "was already attached to"}[result.status]
    console.print(f"{result.paper.filename} {words} item {result.item}.", markup=False)
    if result.supplement:
        console.print(result.supplement[0].upper() + result.supplement[1:] + ".", markup=False)


@papers_app.command("send")
def papers_send_cmd(meeting: MeetingArg, config: ConfigOption = None,
                    as_json: JsonOption = False) -> None:
    """Circulate the papers now (if the agenda is approved), or whatever is new since."""
    from clerk.agenda import circulate_papers

    clerk = open_app(config)
    result = circulate_papers(clerk, meeting)
    if as_json:
        print_json({"meeting": result.meeting, "sent": result.circulation_id is not None,
                    "kind": result.kind, "number": result.number, "late": result.late,
                    "recipients": list(result.recipients), "message": result.message})
        return
    console.print(f"{result.meeting}: {result.message}.", markup=False)


@minutes_app.command("add")
def minutes_add_cmd(meeting: MeetingArg,
                    file: Annotated[Path, typer.Argument(help="The draft minutes.")],
                    config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Record the draft minutes and circulate them to the members."""
    from clerk.agenda import AddMinutes, add_minutes

    result = add_minutes(open_app(config), AddMinutes(meeting, _upload(file)))
    if as_json:
        print_json(result.__dict__)
        return
    console.print(f"{result.meeting}: {result.message}.", markup=False)


@minutes_app.command("approve")
def minutes_approve_cmd(meeting: MeetingArg, config: ConfigOption = None,
                        as_json: JsonOption = False) -> None:
    """Record that the minutes of MEETING were approved (at the next meeting), with their hash."""
    from clerk.agenda import ApproveMinutes, approve_minutes

    result = approve_minutes(open_app(config), ApproveMinutes(meeting))
    if as_json:
        print_json(result.__dict__)
        return
    console.print(f"{result.meeting}: {result.message}.", markup=False)


@minutes_app.command("show")
def minutes_show_cmd(meeting: MeetingArg, config: ConfigOption = None,
                     as_json: JsonOption = False) -> None:
    """The versions of the minutes, which was approved, and whether it has changed since."""
    from clerk.agenda import minutes_state

    state = minutes_state(open_app(config), meeting)
    if as_json:
        print_json(state.as_json())
        return
    for v in state.versions:
        mark = " (approved)" if v.approved_at else ""
        console.print(f"  version {v.version}: {v.filename} {v.sha256[:16]}...{mark}",
                      markup=False)
    if state.approved_version is None:
        console.print("Not approved yet.")
        return
    if state.edited_after_approval:
        console.print("A later version was recorded after approval: it is not approved.")
    if not state.approved_file_intact:
        console.print("WARNING: the approved file no longer matches its approved hash.")


def declare_cmd(
    meeting: MeetingArg,
    email: Annotated[str, typer.Argument(help="Who declares.")],
    item: Annotated[int, typer.Option("--item", help="The agenda item number.")],
    interest: Annotated[str, typer.Option("--interest", help="The interest, in words.")],
    config: ConfigOption = None,
) -> None:
    """Record a declaration of interest given to the facilitator."""
    from clerk.agenda import RecordDeclaration, record_declaration

    outcome = record_declaration(open_app(config), RecordDeclaration(meeting, email, item,
                                                                     interest))
    words = "recorded" if outcome.status == "recorded" else "was already recorded"
    console.print(f"Declaration {words}: item {outcome.item} ({outcome.item_title}), "
                  f"{outcome.email}: {outcome.interest}.", markup=False)


def publish_cmd(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the site into.")],
    config: ConfigOption = None,
) -> None:
    """Write the published meeting records (HTML) for the partnership's web pages."""
    from clerk.records import publish_site

    report = publish_site(open_app(config), out)
    console.print(report.message[0].upper() + report.message[1:] + ".", markup=False)
