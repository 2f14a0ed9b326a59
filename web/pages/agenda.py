"""A meeting's agenda and papers: the items (add, rename, move, remove), their papers (upload
several at once, download), the papers' deadline and circulations (late papers and supplements
marked), the draft sent to the Chair and the Chair's approval in the console, circulating the
papers, and declarations of interest. Each action is the clerk operation the CLI calls
(``clerk agenda``, ``clerk papers``, ``clerk declare``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote

from aiohttp import web

from clerk.agenda import (
    AddItem,
    AddPaper,
    ApproveAgenda,
    MoveItem,
    RecordDeclaration,
    RemoveItem,
    RenameItem,
    add_item,
    add_paper,
    approve_agenda,
    approvers,
    circulate_papers,
    declarants,
    list_declarations,
    may_approve,
    move_item,
    paper_file,
    papers_schedule,
    read_agenda,
    record_declaration,
    remove_item,
    rename_item,
    send_draft,
)
from clerk.agenda.circulation import size_words
from clerk.agenda.items import AgendaItem, PaperInfo, PapersSchedule
from clerk.agenda.referred import referral_items
from clerk.errors import ClerkError, NotFound
from clerk.meetings import Meeting, get_meeting
from clerk.rules.meetings import meeting_still_open
from clerk.rules.papers import day_words
from clerk.rules.terms import Body
from clerk.store.files import FileUpload, safe_filename
from clerk.times import day_in_words, in_words
from web.context import CHANNEL, Form, actor, body_for, clerk_of, done, field, form, render, viewer

routes = web.RouteTableDef()

Errors = Sequence[tuple[str, str]]


# ----------------------------------------------------------------------------- shared


def meeting_of(request: web.Request) -> tuple[Meeting, Body]:
    """The meeting named in the path and its body, if the viewer serves it (404 for no such
    meeting, 403 for another body's)."""
    try:
        meeting = get_meeting(clerk_of(request), request.match_info["ref"])
    except NotFound:
        raise web.HTTPNotFound() from None
    return meeting, body_for(request, meeting.body)


def meeting_title(request: web.Request, meeting: Meeting, body: Body) -> str:
    """``Carers Partnership meeting, Thursday 14 January 2027``."""
    return f"{body.name} meeting, {day_in_words(meeting.starts_at, clerk_of(request).tz)}"


def download(filename: str, content_type: str, content: bytes) -> web.Response:
    """A file to save, under its own name (ASCII for old browsers, UTF-8 for the rest)."""
    disposition = (f'attachment; filename="{safe_filename(filename)}"; '
                   f"filename*=UTF-8''{quote(filename, safe='')}")
    return web.Response(body=content, headers={"Content-Type": content_type or
                                               "application/octet-stream",
                                               "Content-Disposition": disposition})


def uploads(data: Form, name: str) -> list[FileUpload]:
    """The files chosen in the form's file input ``name`` (none chosen: an empty list). A
    browser percent-encodes a quote or a line break in a file's name, and some clients
    (aiohttp's among them) every byte outside ASCII: the name is decoded as such."""
    out = []
    for value in data.getall(name, []):
        if isinstance(value, web.FileField) and value.filename:
            out.append(FileUpload(unquote(value.filename), value.file.read()))
    return out


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise web.HTTPNotFound() from None


# ----------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class PaperView:
    id: int
    filename: str
    size: str
    state: str
    late: Literal["", "late", "late_if_now"]
    held: bool
    supplement: bool


@dataclass(frozen=True)
class ItemView:
    id: int | None
    key: str
    number: int
    title: str
    lead: str
    standing: bool
    papers: tuple[PaperView, ...]
    first: bool
    last: bool


def _paper(schedule: PapersSchedule, p: PaperInfo) -> PaperView:
    sent = schedule.sent_in(p)
    if sent is None:
        state = "Circulated" if p.circulated else "Not circulated yet"
    elif sent.kind == "papers":
        state = f"Circulated with the papers on {day_words(sent.sent_on)}"
    else:
        state = f"Circulated in {sent.name} on {day_words(sent.sent_on)}"
    late: Literal["", "late", "late_if_now"] = ""
    if schedule.paper_late(p):
        late = "late" if p.circulated else "late_if_now"
    return PaperView(p.id, p.filename, size_words(p.size), state, late, schedule.paper_held(p),
                     sent is not None and sent.kind == "supplement")


def _items(agenda_items: Sequence[AgendaItem], schedule: PapersSchedule) -> list[ItemView]:
    own = [i for i in agenda_items if not i.standing]
    return [ItemView(i.id, i.key, i.number, i.title, i.lead_name, i.standing,
                     tuple(_paper(schedule, p) for p in i.papers),
                     first=bool(own) and i is own[0], last=bool(own) and i is own[-1])
            for i in agenda_items]


def agenda_page(request: web.Request, meeting: Meeting, body: Body, *, errors: Errors = (),
                status: int = 200, values: dict[str, str] | None = None) -> web.Response:
    """The agenda page (also shown again, with the problem, after a refused action)."""
    app = clerk_of(request)
    db = app.store.db
    who = viewer(request)
    agenda = read_agenda(app, db, meeting)
    schedule = papers_schedule(app, db, meeting)
    verdict = may_approve(app, db, meeting, who.email) if agenda.needs_approval else None
    return render(
        request, "console/agenda.html", status=status, errors=list(errors),
        values=values or {}, meeting=meeting, body=body, agenda=agenda,
        title=f"Agenda: {meeting_title(request, meeting, body)}",
        meeting_title=meeting_title(request, meeting, body),
        when=in_words(meeting.starts_at, app.tz),
        items=_items(agenda.items, schedule), schedule=schedule,
        due=day_words(schedule.due_on),
        circulations=[(c.name, day_words(c.sent_on), c.late) for c in schedule.circulations],
        approvers=approvers(app, db, meeting),
        may_approve=verdict is not None and verdict.ok,
        approved_on=day_in_words(agenda.approved_at, app.tz) if agenda.approved_at else "",
        open=meeting_still_open(meeting, app.clock.now()).ok,
        declarations=list_declarations(app, meeting.ref),
        declarants=declarants(app, meeting.ref),
        # a referred decision links back to the referring meeting, for a viewer who serves it
        referred_from={f"referral:{r.source}": f"/meetings/{r.from_meeting}#decisions"
                       for r in referral_items(app, meeting) if who.served.serves(r.from_body)})


@routes.get("/meetings/{ref}/agenda")
async def show_agenda(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    return agenda_page(request, meeting, body)


def _path(meeting: Meeting) -> str:
    return f"/meetings/{meeting.ref}/agenda"


# ----------------------------------------------------------------------------- items


@routes.post("/meetings/{ref}/agenda/items")
async def add_an_item(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    data = await form(request)
    title, lead = field(data, "title"), field(data, "lead")
    try:
        item = add_item(clerk_of(request), AddItem(
            meeting.ref, title, lead=lead, papers=tuple(uploads(data, "item-papers")),
            channel=CHANNEL, actor=actor(request)))
    except ClerkError as exc:
        where = exc.about if exc.about in ("title", "lead") else "item-papers"
        return agenda_page(request, meeting, body, errors=[(where, _sentence(exc))], status=400,
                           values={"title": title, "lead": lead})
    papers = f" with {len(item.papers)} paper{'s' if len(item.papers) != 1 else ''}" \
        if item.papers else ""
    raise done(request, _path(meeting), f"Item {item.number} is on the agenda: {item.title}"
                                        f"{papers}.")


def _sentence(exc: Exception | str) -> str:
    text = str(exc)
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else ""


def _own_item(request: web.Request, meeting: Meeting) -> AgendaItem:
    agenda = read_agenda(clerk_of(request), clerk_of(request).store.db, meeting)
    item_id = _int(request.match_info["item_id"])
    found = next((i for i in agenda.items if i.id == item_id), None)
    if found is None:
        raise web.HTTPNotFound()
    return found


def item_page(request: web.Request, meeting: Meeting, body: Body, item: AgendaItem, *,
              errors: Errors = (), status: int = 200, title: str | None = None) -> web.Response:
    return render(request, "console/agenda_item.html", status=status, errors=list(errors),
                  meeting=meeting, body=body, item=item, value=item.title if title is None
                  else title, meeting_title=meeting_title(request, meeting, body),
                  title=f"Item {item.number}: {item.title}")


@routes.get("/meetings/{ref}/agenda/items/{item_id}")
async def show_item(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    return item_page(request, meeting, body, _own_item(request, meeting))


@routes.post("/meetings/{ref}/agenda/items/{item_id}")
async def rename_an_item(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    data = await form(request)
    title = field(data, "title")
    try:
        result = rename_item(clerk_of(request), RenameItem(
            meeting.ref, _int(request.match_info["item_id"]), title, channel=CHANNEL,
            actor=actor(request)))
    except ClerkError as exc:
        return item_page(request, meeting, body, _own_item(request, meeting),
                         errors=[("title", _sentence(exc))], status=400, title=title)
    raise done(request, _path(meeting), _sentence(result.message))


@routes.post("/meetings/{ref}/agenda/items/{item_id}/move")
async def move_an_item(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    data = await form(request)
    direction = field(data, "direction")
    if direction not in ("up", "down"):
        return agenda_page(request, meeting, body, status=400,
                           errors=[("items", "Choose to move the item up or down.")])
    try:
        result = move_item(clerk_of(request), MoveItem(
            meeting.ref, _int(request.match_info["item_id"]),
            "up" if direction == "up" else "down", channel=CHANNEL, actor=actor(request)))
    except ClerkError as exc:
        return agenda_page(request, meeting, body, errors=[("items", _sentence(exc))],
                           status=400)
    raise done(request, f"{_path(meeting)}#items", _sentence(result.message))


@routes.post("/meetings/{ref}/agenda/items/{item_id}/remove")
async def remove_an_item(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    await form(request)
    try:
        result = remove_item(clerk_of(request), RemoveItem(
            meeting.ref, _int(request.match_info["item_id"]), channel=CHANNEL,
            actor=actor(request)))
    except ClerkError as exc:
        try:
            item = _own_item(request, meeting)
        except web.HTTPNotFound:
            return agenda_page(request, meeting, body, errors=[("items", _sentence(exc))],
                               status=400)
        return item_page(request, meeting, body, item, errors=[("remove", _sentence(exc))],
                         status=400)
    raise done(request, _path(meeting), _sentence(result.message))


# ----------------------------------------------------------------------------- papers


@routes.post("/meetings/{ref}/agenda/papers")
async def upload_papers(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    data = await form(request)
    key = field(data, "item")
    files = uploads(data, "papers")
    if not key:
        return agenda_page(request, meeting, body, status=400,
                           errors=[("paper-item", "Choose the item the papers are for.")])
    if not files:
        return agenda_page(request, meeting, body, status=400,
                           errors=[("papers", "Choose one or more files to upload.")])
    app = clerk_of(request)
    said, errors = [], []
    for upload in files:
        try:
            result = add_paper(app, AddPaper(meeting.ref, 0, upload, channel=CHANNEL,
                                             actor=actor(request), item_key=key))
        except ClerkError as exc:
            errors.append(("papers", f"{upload.filename}: {str(exc).rstrip('.')}."))
            continue
        words = {"added": "added to", "replaced": "replaces the earlier version on",
                 "same": "was already on"}[result.status]
        said.append(f"{result.paper.filename} {words} item {result.item}")
        if result.supplement:
            said.append(result.supplement)
    if errors:
        if said:
            errors.append(("papers", "The others were uploaded: " + "; ".join(said) + "."))
        return agenda_page(request, meeting, body, errors=errors, status=400)
    raise done(request, _path(meeting), _sentence("; ".join(said)))


@routes.get("/meetings/{ref}/papers/{paper_id}")
async def download_paper(request: web.Request) -> web.StreamResponse:
    meeting, _ = meeting_of(request)
    try:
        paper, content = paper_file(clerk_of(request), meeting.ref,
                                    _int(request.match_info["paper_id"]))
    except NotFound:
        raise web.HTTPNotFound() from None
    return download(paper.filename, paper.content_type, content)


# ----------------------------------------------------------------------------- the Chair


@routes.post("/meetings/{ref}/agenda/send")
async def send_to_chair(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    await form(request)
    try:
        result = send_draft(clerk_of(request), meeting.ref, actor=actor(request),
                            channel=CHANNEL)
    except ClerkError as exc:
        return agenda_page(request, meeting, body, errors=[("approval", _sentence(exc))],
                           status=400)
    if result.already:
        raise done(request, _path(meeting), f"Draft version {result.version} was sent to the "
                                            "Chair already; nothing new was sent.")
    raise done(request, _path(meeting), f"The draft agenda (version {result.version}) is on "
                                        f"its way to {_names(request, meeting, result.sent_to)}.")


def _names(request: web.Request, meeting: Meeting, emails: Sequence[str]) -> str:
    app = clerk_of(request)
    known = {a.email: a.name for a in approvers(app, app.store.db, meeting)}
    return ", ".join(known.get(e) or e for e in emails)


@routes.post("/meetings/{ref}/agenda/approve")
async def approve(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    data = await form(request)
    version = field(data, "version")
    who = viewer(request)
    outcome = approve_agenda(clerk_of(request), ApproveAgenda(
        meeting.ref, who.email, channel=CHANNEL, evidence={"console_session": who.session_id},
        version=int(version) if version.isdigit() else None))
    if outcome.status == "refused":
        return agenda_page(request, meeting, body, status=403, errors=[
            ("approval", f"You cannot approve this agenda: {outcome.message}.")])
    if outcome.status == "outdated":
        return agenda_page(request, meeting, body, status=409, errors=[
            ("approval", "The agenda changed after you opened this page, so it was not "
                         "approved. Read it again below, then approve it.")])
    raise done(request, _path(meeting), _sentence(outcome.message))


@routes.post("/meetings/{ref}/agenda/circulate")
async def circulate(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    await form(request)
    try:
        result = circulate_papers(clerk_of(request), meeting.ref, actor=actor(request),
                                  channel=CHANNEL)
    except ClerkError as exc:
        return agenda_page(request, meeting, body, errors=[("circulate", _sentence(exc))],
                           status=400)
    if result.circulation_id is None:
        return agenda_page(request, meeting, body, errors=[("circulate", _sentence(
            result.message))], status=400)
    raise done(request, _path(meeting), _sentence(result.message))


# ----------------------------------------------------------------------------- declarations


@routes.post("/meetings/{ref}/agenda/declarations")
async def declare(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    data = await form(request)
    values = {k: field(data, k) for k in ("declare-item", "declarant", "interest")}
    errors = [(k, m) for k, m in (("declare-item", "Choose the item."),
                                  ("declarant", "Choose who declares the interest."),
                                  ("interest", "Say what the interest is.")) if not values[k]]
    if errors:
        return agenda_page(request, meeting, body, errors=errors, status=400, values=values)
    try:
        outcome = record_declaration(clerk_of(request), RecordDeclaration(
            meeting.ref, values["declarant"], 0, values["interest"], channel=CHANNEL,
            evidence={"recorded_by": actor(request)}, item_key=values["declare-item"]))
    except ClerkError as exc:
        return agenda_page(request, meeting, body, errors=[("interest", _sentence(exc))],
                           status=400, values=values)
    words = "recorded" if outcome.status == "recorded" else "was recorded already"
    raise done(request, f"{_path(meeting)}#declarations",
               f"Declaration {words}: item {outcome.item} ({outcome.item_title}): "
               f"{outcome.interest}.")
