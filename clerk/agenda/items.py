"""The agenda of a meeting: its items (standing ones added automatically), the draft the Chair is
sent, and who may approve it. Approving it is :mod:`clerk.agenda.approval`.

Reading (no side effects: nothing is written, nothing is sent):

- ``read_agenda(app, db, meeting) -> Agenda`` the numbered agenda with its papers and state, in
  the caller's transaction or on ``app.store.db``; the one way an agenda is read.
- ``papers_schedule(app, db, meeting) -> PapersSchedule`` when the papers are due and how each
  circulation went.
- ``approvers(app, db, meeting) -> list[Approver]`` who is asked to approve the agenda.

Writing (each an operation: one transaction, idempotent and audited):

- ``add_item(app, AddItem(meeting, title, lead="", papers=(FileUpload, ...)))`` adds an item
  (with papers); adding the same title again returns the item already there.
- ``rename_item(app, RenameItem(meeting, item_id, title))``, ``move_item(app,
  MoveItem(meeting, item_id, "up"|"down"))`` and ``remove_item(app, RemoveItem(meeting,
  item_id))`` change an item added by hand (never a standing one; removing is refused once its
  papers have been circulated or an interest declared in it: :func:`clerk.rules.papers.
  may_change_item`). Each changes the agenda as adding an item does.
- ``send_draft(app, meeting_ref) -> DraftResult`` emails the draft to the Chair (and the
  Vice-Chair where the body lets them approve) with a reply key of purpose ``agenda``.
- ``sync_standing_items(app, db, meeting)`` brings the stored standing items up to date (every
  operation on an agenda calls it first; the agenda chaser and the papers' due day do too);
  ``refresh_standing_items(app, db, body)`` does so for a body's coming agendas whose draft went
  to the Chair, after a decision is recorded or a ballot closed.

Standing items, on every agenda until it is approved: welcome and apologies, declarations of
interest, approval of the minutes of the previous meeting, the action log (while actions of
earlier meetings are open: :mod:`clerk.actions.model`), each decision of an earlier
meeting still unresolved (:func:`clerk.agenda.carried.carried_decisions`), each decision another
body referred here and each report due from another body (:mod:`clerk.agenda.referred`). A read shows them as
they stand now; they are stored by the next operation on the agenda, and when that changes a
draft already sent to the Chair, the agenda gets a new version and the Chair the new draft.

Changing an approved agenda withdraws the approval and sends the Chair the new draft: the papers
wait for the new approval (or, once circulated, the change goes out as a supplement).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.actions.model import open_actions_before
from clerk.agenda.carried import carried_decisions
from clerk.agenda.referred import referral_items, reports_due
from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.meetings.schedule import Meeting, get_meeting, previous_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import ensure_person, find_person, is_email, normalise_email
from clerk.people.officers import office_holders
from clerk.rules.deadlines import papers_due
from clerk.rules.meetings import meeting_still_open
from clerk.rules.papers import day_words, may_change_item, papers_timing
from clerk.rules.roles import chair_of
from clerk.rules.verdict import Verdict
from clerk.rules.workdays import describe
from clerk.store import audit
from clerk.store.files import FileUpload, clean_filename, content_type, store_file
from clerk.store.rows import execute, fetch_all, fetch_one, insert, update
from clerk.times import day_in_words, from_iso, in_words, to_iso
from clerk.tokens.reply_keys import issue_key

KIND_ORDER = {"apologies": 100, "declarations": 200, "minutes": 300, "actions": 350,
              "carried": 400,
              "referral": 500, "report": 600, "item": 1000}


@dataclass(frozen=True)
class PaperInfo:
    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    circulated: bool
    circulation_id: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PaperInfo:
        return cls(row["id"], row["filename"], row["size"], row["sha256"], row["content_type"],
                   row["circulation_id"] is not None, row["circulation_id"])


@dataclass(frozen=True)
class AgendaItem:
    """An item as numbered on the agenda. ``id`` is None for a standing item the agenda has
    gained since it was last stored (the next operation on the agenda stores it)."""

    id: int | None
    number: int
    kind: str
    title: str
    lead: str
    lead_name: str
    papers: tuple[PaperInfo, ...] = ()
    #: Names the item whatever its number (which changes as items come and go): ``item:ID``
    #: for an item added by hand, ``KIND:SOURCE`` for a standing one (stored or not yet).
    key: str = ""

    @property
    def standing(self) -> bool:
        return self.kind != "item"


@dataclass(frozen=True)
class Agenda:
    """A meeting's agenda as it stands: numbered items and the approval state."""

    meeting: Meeting
    version: int
    items: tuple[AgendaItem, ...]
    needs_approval: bool
    approved: bool
    approved_by: str
    approved_at: datetime | None
    sent_version: int | None
    sha256: str

    def item(self, number: int) -> AgendaItem:
        for item in self.items:
            if item.number == number:
                return item
        raise NotFound(f"{self.meeting.ref} has no agenda item {number} (it has "
                       f"{len(self.items)}; see clerk agenda show {self.meeting.ref})")

    def by_key(self, key: str) -> AgendaItem:
        """The item :attr:`AgendaItem.key` names (NotFound once it has left the agenda)."""
        for item in self.items:
            if item.key == key:
                return item
        raise NotFound(f"that item is no longer on the agenda of {self.meeting.ref}")


@dataclass(frozen=True)
class AddItem:
    """An agenda item: a title, who leads it, and its papers."""

    meeting: str
    title: str
    lead: str = ""
    papers: tuple[FileUpload, ...] = ()
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class RenameItem:
    """Give agenda item ``item_id`` (an item added by hand) a new title."""

    meeting: str
    item_id: int
    title: str
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class MoveItem:
    """Move agenda item ``item_id`` one place ``up`` or ``down`` among the items added by hand
    (the standing items keep their places at the top)."""

    meeting: str
    item_id: int
    direction: Literal["up", "down"]
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class RemoveItem:
    """Take agenda item ``item_id`` (an item added by hand) off the agenda."""

    meeting: str
    item_id: int
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class ItemChanged:
    """What renaming, moving or removing an item did: ``changed``, or ``same`` (nothing to do:
    the same title, already first or last, already removed); ``message`` says it in words."""

    status: Literal["changed", "same"]
    meeting: str
    title: str
    message: str
    version: int


@dataclass(frozen=True)
class DraftResult:
    meeting: str
    version: int
    sent_to: tuple[str, ...]
    already: bool


@dataclass(frozen=True)
class Approver:
    """Someone asked to approve the agenda: the Chair, or the Vice-Chair where the body allows.
    ``person_id`` is None for a Chair known only by the configured ``chair_email`` whom clerk has
    not written to yet (sending the draft records them)."""

    email: str
    name: str
    office: str
    person_id: int | None


# ----------------------------------------------------------------------------- stored rows


@dataclass(frozen=True)
class _State:
    """A meeting's row of ``agendas`` (a meeting whose agenda nothing has changed has none)."""

    version: int = 1
    sent_version: int | None = None
    approved_version: int | None = None
    approved_by: int | None = None
    approved_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> _State:
        return cls(row["version"], row["sent_version"], row["approved_version"],
                   row["approved_by"], from_iso(row["approved_at"]) if row["approved_at"] else None)

    @property
    def approved(self) -> bool:
        return self.approved_version == self.version


@dataclass(frozen=True)
class _Row:
    """A row of ``agenda_items`` (with its lead's name), or a standing item not stored yet."""

    id: int | None
    sort_key: int
    kind: str
    title: str
    source: str
    lead: str = ""
    lead_name: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> _Row:
        return cls(row["id"], row["sort_key"], row["kind"], row["title"], row["source"],
                   row["lead"], row["lead_name"] or row["lead"])


def _state(db: Database, meeting: Meeting) -> _State:
    row = fetch_one(db, "SELECT * FROM agendas WHERE meeting_id = ?", [meeting.id])
    return _State.from_row(row) if row else _State()


def _stored_state(db: Database, meeting: Meeting, now: datetime) -> _State:
    """The agenda's row, created (version 1) if it has none yet: for operations only."""
    if fetch_one(db, "SELECT 1 AS x FROM agendas WHERE meeting_id = ?", [meeting.id]) is None:
        execute(db, "INSERT INTO agendas (meeting_id, version, updated_at) VALUES (?, 1, ?)",
                [meeting.id, to_iso(now)])
    return _state(db, meeting)


def _rows(db: Database, meeting_id: int) -> list[_Row]:
    return [_Row.from_row(r) for r in fetch_all(
        db, "SELECT a.*, p.name AS lead_name FROM agenda_items a LEFT JOIN people p "
            "ON p.email = a.lead WHERE a.meeting_id = ? ORDER BY a.sort_key, a.id", [meeting_id])]


def _papers_of(db: Database, meeting_id: int) -> dict[int, list[PaperInfo]]:
    out: dict[int, list[PaperInfo]] = {}
    for r in fetch_all(db, "SELECT * FROM papers WHERE meeting_id = ? AND status = 'current' "
                           "ORDER BY id", [meeting_id]):
        out.setdefault(r["item_id"], []).append(PaperInfo.from_row(r))
    return out


# ----------------------------------------------------------------------------- standing items


@dataclass(frozen=True)
class _Standing:
    """A standing item the agenda should have now."""

    kind: str
    source: str
    title: str
    sort_key: int


@dataclass(frozen=True)
class _Plan:
    """How the stored standing items differ from those the agenda should have now."""

    add: tuple[_Standing, ...] = ()
    retitle: tuple[tuple[int, _Standing], ...] = ()  # (stored row id, what it becomes)
    remove: tuple[int, ...] = ()  # stored row ids

    @property
    def changes(self) -> bool:
        return bool(self.add or self.retitle or self.remove)

    def applied_to(self, rows: list[_Row]) -> list[_Row]:
        """``rows`` as they are once the plan is carried out (in memory)."""
        retitled = dict(self.retitle)
        out = [replace(r, title=retitled[r.id].title, sort_key=retitled[r.id].sort_key)
               if r.id in retitled else r
               for r in rows if r.id not in self.remove]
        out += [_Row(None, s.sort_key, s.kind, s.title, s.source) for s in self.add]
        # as the database orders them: by sort key, then id (a row stored later, later)
        return sorted(out, key=lambda r: (r.sort_key, r.id is None, r.id or 0))


def _standing(app: Clerk, meeting: Meeting) -> list[_Standing]:
    """The standing items this meeting should have, in order."""
    body = app.body(meeting.body)
    wanted = [("apologies", "standing", "Welcome and apologies")]
    if body.declarations_of_interest:
        wanted.append(("declarations", "standing", "Declarations of interest"))
    previous = previous_meeting(app, meeting)
    if previous is not None:
        day = day_in_words(previous.starts_at, app.tz)
        title = (f"To approve the minutes of the previous meeting ({day})"
                 if body.minutes.approved_at_next_meeting
                 else f"Minutes of the previous meeting ({day})")
        wanted.append(("minutes", previous.ref, title))
    if open_actions_before(app.store.db, meeting.body, meeting.starts_at):
        wanted.append(("actions", "standing", "Action log"))
    wanted += [("carried", f"decision:{c.decision_id}", c.title)
               for c in carried_decisions(app, meeting)]
    # business from other bodies: decisions referred here, reports due (clerk.agenda.referred)
    wanted += [("referral", r.source, r.title) for r in referral_items(app, meeting)]
    wanted += [("report", r.source, r.title)
               for r in reports_due(app, meeting.body, meeting.starts_at)]
    return [_Standing(kind, source, title, KIND_ORDER[kind] + n)
            for n, (kind, source, title) in enumerate(wanted)]


def _plan(app: Clerk, db: Database, meeting: Meeting, state: _State, rows: list[_Row]) -> _Plan:
    """What bringing the standing items up to date would change: nothing once the agenda is
    approved (it stays as approved) or the meeting is cancelled."""
    if state.approved or meeting.status == "cancelled":
        return _Plan()
    have = {(r.kind, r.source): r for r in rows if r.kind != "item"}
    add, retitle = [], []
    for wanted in _standing(app, meeting):
        current = have.pop((wanted.kind, wanted.source), None)
        if current is None:
            add.append(wanted)
        elif current.title != wanted.title and current.id is not None:
            retitle.append((current.id, wanted))
    # an item no longer wanted (e.g. a decision since ratified) goes, unless papers hang on it
    remove = [r.id for r in have.values() if r.id is not None and fetch_one(
        db, "SELECT 1 AS x FROM papers WHERE item_id = ?", [r.id]) is None]
    return _Plan(tuple(add), tuple(retitle), tuple(remove))


def sync_standing_items(app: Clerk, db: Database, meeting: Meeting) -> bool:
    """Store the standing items as they should be now (inside the caller's transaction); when
    that changes a draft already sent to the Chair, the agenda gets a new version and the Chair
    the new draft. True if anything changed. Every operation on an agenda calls this first."""
    now = app.clock.now()
    state = _stored_state(db, meeting, now)
    plan = _plan(app, db, meeting, state, _rows(db, meeting.id))
    if not plan.changes:
        return False
    for s in plan.add:
        insert(db, "agenda_items", {"meeting_id": meeting.id, "sort_key": s.sort_key,
                                    "kind": s.kind, "title": s.title, "source": s.source,
                                    "created_at": to_iso(now)})
    for row_id, s in plan.retitle:
        update(db, "agenda_items", row_id, {"title": s.title, "sort_key": s.sort_key})
    for row_id in plan.remove:
        execute(db, "DELETE FROM agenda_items WHERE id = ?", [row_id])
    if state.sent_version is not None:
        _changed(app, db, meeting, now, "standing items brought up to date")
    return True


def refresh_standing_items(app: Clerk, db: Database, body: str) -> int:
    """After a change to what makes a body's standing items (a decision recorded, a ballot
    closed), inside that operation's transaction: each coming meeting of the body whose draft
    agenda has gone to the Chair gets its standing items stored as they now are, and the Chair
    the new draft if they changed. (Other agendas need nothing: a read shows the standing items
    as they stand, and their next operation stores them.) Returns how many agendas changed."""
    rows = fetch_all(db, "SELECT m.* FROM meetings m JOIN agendas a ON a.meeting_id = m.id "
                         "WHERE m.body = ? AND m.status != 'cancelled' AND m.starts_at > ? AND "
                         "a.sent_version IS NOT NULL ORDER BY m.starts_at",
                     [body, to_iso(app.clock.now())])
    return sum(sync_standing_items(app, db, Meeting.from_row(r)) for r in rows)


# ----------------------------------------------------------------------------- reading


def agenda_sha256(items: tuple[AgendaItem, ...] | list[AgendaItem]) -> str:
    """The fingerprint of the agenda a person approved: numbers, titles and leads."""
    text = json.dumps([[i.number, i.title, i.lead] for i in items], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_agenda(app: Clerk, db: Database, meeting: Meeting) -> Agenda:
    """The numbered agenda of a meeting, its papers, and whether the Chair has approved it, read
    in the caller's transaction or on ``app.store.db``. It writes nothing and sends nothing:
    standing items not stored yet are shown as they will be stored."""
    state = _state(db, meeting)
    rows = _rows(db, meeting.id)
    rows = _plan(app, db, meeting, state, rows).applied_to(rows)
    papers = _papers_of(db, meeting.id)
    items = tuple(AgendaItem(r.id, n, r.kind, r.title, r.lead, r.lead_name,
                             tuple(papers.get(r.id, ())) if r.id is not None else (),
                             f"item:{r.id}" if r.kind == "item" else f"{r.kind}:{r.source}")
                  for n, r in enumerate(rows, start=1))
    approver = ""
    if state.approved_by is not None:
        person = fetch_one(db, "SELECT name, email FROM people WHERE id = ?", [state.approved_by])
        if person is not None:
            approver = f"{person['name']} <{person['email']}>"
    return Agenda(meeting, state.version, items,
                  app.body(meeting.body).papers.chair_approves_agenda, state.approved, approver,
                  state.approved_at, state.sent_version, agenda_sha256(items))


@dataclass(frozen=True)
class CirculationInfo:
    """One circulation of a meeting's papers: the papers, or supplement ``number``."""

    id: int
    kind: Literal["papers", "supplement"]
    number: int
    sent_on: date
    late: bool
    timing: str
    held: frozenset[str] = frozenset()  # the SHA-256 of each file too large to email

    @property
    def name(self) -> str:
        """``papers`` or ``supplement 2``."""
        return "papers" if self.kind == "papers" else f"supplement {self.number}"


@dataclass(frozen=True)
class PapersSchedule:
    """When a meeting's papers are due, what went and when, and whether they are late: those
    circulated late, or (``overdue``) not circulated by the day they were due."""

    due_on: date
    notice: str
    circulations: tuple[CirculationInfo, ...]
    overdue: bool
    late_now: bool

    @property
    def late(self) -> bool:
        return self.overdue or any(c.late for c in self.circulations)

    def sent_in(self, paper: PaperInfo) -> CirculationInfo | None:
        return next((c for c in self.circulations if c.id == paper.circulation_id), None)

    def paper_late(self, paper: PaperInfo) -> bool:
        """Circulated late, or not circulated yet and late if it went today."""
        sent = self.sent_in(paper)
        return sent.late if sent is not None else self.late_now

    def paper_held(self, paper: PaperInfo) -> bool:
        """Whether the paper was held back from its circulation, too large to email."""
        sent = self.sent_in(paper)
        return sent is not None and paper.sha256 in sent.held


def _held_files(detail: str) -> frozenset[str]:
    files = json.loads(detail or "{}").get("files", [])
    return frozenset(f["sha256"] for f in files if f.get("how") == "held")


def papers_schedule(app: Clerk, db: Database, meeting: Meeting) -> PapersSchedule:
    """When the papers are due and how their circulations went, marked late as the emails are
    (read in the caller's transaction or on ``app.store.db``)."""
    body = app.body(meeting.body)
    meeting_day = meeting.starts_at.astimezone(app.tz).date()
    timing = papers_timing(body, meeting_day, app.clock.now().astimezone(app.tz).date())
    circulations = tuple(
        CirculationInfo(r["id"], r["kind"], r["number"],
                        from_iso(r["started_at"]).astimezone(app.tz).date(), bool(r["late"]),
                        r["timing"], _held_files(r["detail"]))
        for r in fetch_all(db, "SELECT id, kind, number, started_at, late, timing, detail FROM "
                               "circulations WHERE meeting_id = ? AND kind IN ('papers', "
                               "'supplement') ORDER BY id", [meeting.id]))
    # overdue: something to circulate, not circulated, past its day (a cancelled meeting never)
    business = fetch_one(db, "SELECT 1 AS x FROM agenda_items WHERE meeting_id = ? AND kind = "
                             "'item' LIMIT 1", [meeting.id]) is not None
    overdue = timing.late and not circulations and business and meeting.status != "cancelled"
    return PapersSchedule(papers_due(body, meeting_day),
                          describe(body.papers.notice, body.papers.unit), circulations,
                          overdue=overdue, late_now=timing.late)


def papers_out(db: Database, meeting: Meeting) -> bool:
    """Whether the meeting's papers have been circulated (the first circulation, not minutes)."""
    return fetch_one(db, "SELECT 1 AS x FROM circulations WHERE meeting_id = ? AND kind = "
                         "'papers'", [meeting.id]) is not None


def ready_to_circulate(agenda: Agenda) -> bool:
    """Whether the papers may go: approved, or the body does not ask the Chair."""
    return agenda.approved or not agenda.needs_approval


# ----------------------------------------------------------------------------- changing it


def _changed(app: Clerk, db: Database, meeting: Meeting, now: datetime, why: str) -> int:
    """The agenda changed: a new version; an approval is withdrawn and the Chair asked again."""
    state = _stored_state(db, meeting, now)
    version = state.version + 1
    execute(db, "UPDATE agendas SET version = ?, updated_at = ? WHERE meeting_id = ?",
            [version, to_iso(now), meeting.id])
    body = app.body(meeting.body)
    if body.papers.chair_approves_agenda and state.approved:
        execute(db, "UPDATE meetings SET agenda_approved_at = NULL WHERE id = ?", [meeting.id])
        audit.record(db, at=now, actor="clerk", action="agenda.approval_withdrawn",
                     subject=meeting.ref, channel="clerk",
                     detail={"version": version, "why": why})
    if body.papers.chair_approves_agenda and (state.approved or state.sent_version is not None):
        _send_draft_in(app, db, meeting, now, changed=True)
    return version


def refuse_if_over(app: Clerk, meeting: Meeting) -> None:
    """Refuse to change the agenda or papers of a meeting cancelled or already held."""
    verdict = meeting_still_open(meeting, app.clock.now())
    if verdict.code == "cancelled":
        raise Refused(f"the meeting {meeting.ref} has been cancelled")
    if verdict.code == "over":
        raise Refused(f"the meeting {meeting.ref} has already taken place "
                      f"({in_words(meeting.starts_at, app.tz)})")


def add_item(app: Clerk, cmd: AddItem) -> AgendaItem:
    """Add an item (and its papers) after the items already there; the same title again
    returns the existing item (adding any new papers to it)."""
    title = " ".join(cmd.title.split())
    if not title:
        raise BadInput("the item needs a title", about="title")
    lead = cmd.lead.strip()
    if lead and "@" in lead:
        if not is_email(lead):
            raise BadInput(f'the lead "{lead}" is not an email address', about="lead")
        lead = normalise_email(lead)
    meeting = get_meeting(app, cmd.meeting)
    refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        sync_standing_items(app, db, meeting)
        same = fetch_one(db, "SELECT id FROM agenda_items WHERE meeting_id = ? AND kind = "
                             "'item' AND title = ?", [meeting.id, title])
        if same is None:
            # after the last item (items removed or moved leave gaps and a different order)
            last = fetch_one(db, "SELECT MAX(sort_key) AS k, COUNT(*) AS n FROM agenda_items "
                                 "WHERE meeting_id = ? AND kind = 'item'", [meeting.id])
            n = int(last["n"]) if last else 0
            sort_key = int(last["k"]) + 1 if last and last["k"] is not None else KIND_ORDER["item"]
            item_id = insert(db, "agenda_items", {
                "meeting_id": meeting.id, "sort_key": sort_key, "kind": "item",
                "title": title, "lead": lead, "source": _new_source(db, meeting, n + 1, title),
                "created_at": to_iso(now)})
            audit.record(db, at=now, actor=cmd.actor, action="agenda.add_item",
                         subject=meeting.ref, channel=cmd.channel,
                         detail={"title": title, "lead": lead})
            _changed(app, db, meeting, now, f"item added: {title}")
        else:
            item_id = int(same["id"])
        for upload in cmd.papers:
            attach_paper(db, meeting, item_id, upload, cmd.channel, now, actor=cmd.actor)
        agenda = read_agenda(app, db, meeting)
        return next(i for i in agenda.items if i.id == item_id)


def attach_paper(db: Database, meeting: Meeting, item_id: int, upload: FileUpload,
                 channel: str, now: datetime, *, actor: str = "facilitator",
                 ) -> tuple[Literal["added", "replaced", "same"], int]:
    """Keep the file and record it against the item, inside the caller's transaction: the same
    file again changes nothing, a file of the same name replaces the earlier one. Returns
    (status, paper id)."""
    filename = clean_filename(upload.filename)
    digest = store_file(db, upload, now)
    same = fetch_one(db, "SELECT id FROM papers WHERE item_id = ? AND sha256 = ? AND status = "
                         "'current'", [item_id, digest])
    if same is not None:
        return "same", int(same["id"])
    earlier = fetch_one(db, "SELECT id FROM papers WHERE item_id = ? AND filename = ? AND "
                            "status = 'current'", [item_id, filename])
    main, sub = content_type(filename)
    paper_id = insert(db, "papers", {
        "meeting_id": meeting.id, "item_id": item_id, "filename": filename,
        "content_type": f"{main}/{sub}", "size": len(upload.content), "sha256": digest,
        "status": "current", "added_at": to_iso(now)})
    if earlier is not None:
        execute(db, "UPDATE papers SET status = 'replaced' WHERE id = ?", [earlier["id"]])
    audit.record(db, at=now, actor=actor, action="papers.add", subject=meeting.ref,
                 channel=channel, detail={"file": filename, "sha256": digest,
                                          "size": len(upload.content), "item_id": item_id,
                                          "replaces": earlier["id"] if earlier else None})
    return ("replaced" if earlier else "added"), paper_id


def _new_source(db: Database, meeting: Meeting, n: int, title: str) -> str:
    """A source no other item of the meeting has (``item:N:TITLE``; an item removed or renamed
    may have left one that would clash)."""
    source, extra = f"item:{n}:{title}", 1
    while fetch_one(db, "SELECT 1 AS x FROM agenda_items WHERE meeting_id = ? AND kind = 'item' "
                        "AND source = ?", [meeting.id, source]) is not None:
        extra += 1
        source = f"item:{n}.{extra}:{title}"
    return source


def _item_row(db: Database, meeting: Meeting, item_id: int) -> dict[str, Any] | None:
    return fetch_one(db, "SELECT * FROM agenda_items WHERE id = ? AND meeting_id = ?",
                     [item_id, meeting.id])


def _refuse_unless(verdict: Verdict) -> None:
    if not verdict.ok:
        raise Refused(verdict.reason)


def _number_of(app: Clerk, db: Database, meeting: Meeting, item_id: int) -> int:
    return next(i.number for i in read_agenda(app, db, meeting).items if i.id == item_id)


def rename_item(app: Clerk, cmd: RenameItem) -> ItemChanged:
    """Give an item added by hand a new title (not a standing item, nor another item's title).
    The agenda changes as when an item is added: the Chair is asked again, and once the papers
    are out the change goes as a supplement."""
    title = " ".join(cmd.title.split())
    if not title:
        raise BadInput("the item needs a title", about="title")
    meeting = get_meeting(app, cmd.meeting)
    refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        sync_standing_items(app, db, meeting)
        row = _item_row(db, meeting, cmd.item_id)
        if row is None:
            raise NotFound(f"that item is no longer on the agenda of {meeting.ref}")
        _refuse_unless(may_change_item("rename", standing=row["kind"] != "item"))
        if row["title"] == title:
            return ItemChanged("same", meeting.ref, title, f'the item is called "{title}" '
                               "already", _state(db, meeting).version)
        if fetch_one(db, "SELECT 1 AS x FROM agenda_items WHERE meeting_id = ? AND kind = 'item' "
                         "AND title = ? AND id != ?", [meeting.id, title, row["id"]]):
            raise Refused(f'another item on the agenda is called "{title}"')
        update(db, "agenda_items", row["id"], {"title": title})
        audit.record(db, at=now, actor=cmd.actor, action="agenda.rename_item",
                     subject=meeting.ref, channel=cmd.channel,
                     detail={"item_id": row["id"], "from": row["title"], "to": title})
        version = _changed(app, db, meeting, now, f"item renamed: {title}")
        number = _number_of(app, db, meeting, row["id"])
        return ItemChanged("changed", meeting.ref, title, f'item {number} "{row["title"]}" is '
                           f'now called "{title}"', version)


def move_item(app: Clerk, cmd: MoveItem) -> ItemChanged:
    """Move an item added by hand one place up or down among such items (the standing items
    stay first); the agenda changes as when an item is added."""
    if cmd.direction not in ("up", "down"):
        raise BadInput(f'an item moves "up" or "down", not "{cmd.direction}"')
    meeting = get_meeting(app, cmd.meeting)
    refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        sync_standing_items(app, db, meeting)
        row = _item_row(db, meeting, cmd.item_id)
        if row is None:
            raise NotFound(f"that item is no longer on the agenda of {meeting.ref}")
        _refuse_unless(may_change_item("move", standing=row["kind"] != "item"))
        order = [int(r["id"]) for r in fetch_all(
            db, "SELECT id FROM agenda_items WHERE meeting_id = ? AND kind = 'item' ORDER BY "
                "sort_key, id", [meeting.id])]
        at = order.index(row["id"])
        to = at - 1 if cmd.direction == "up" else at + 1
        if not 0 <= to < len(order):
            where = "first" if cmd.direction == "up" else "last"
            return ItemChanged("same", meeting.ref, row["title"], f'"{row["title"]}" is the '
                               f"{where} item already", _state(db, meeting).version)
        order[at], order[to] = order[to], order[at]
        for n, item_id in enumerate(order):  # numbered afresh: no two items share a place
            execute(db, "UPDATE agenda_items SET sort_key = ? WHERE id = ?",
                    [KIND_ORDER["item"] + n, item_id])
        number = _number_of(app, db, meeting, row["id"])
        audit.record(db, at=now, actor=cmd.actor, action="agenda.move_item",
                     subject=meeting.ref, channel=cmd.channel,
                     detail={"item_id": row["id"], "title": row["title"],
                             "direction": cmd.direction, "number": number})
        version = _changed(app, db, meeting, now, f"item moved {cmd.direction}: {row['title']}")
        return ItemChanged("changed", meeting.ref, row["title"], f'"{row["title"]}" moved '
                           f"{cmd.direction} to item {number}", version)


def remove_item(app: Clerk, cmd: RemoveItem) -> ItemChanged:
    """Take an item added by hand off the agenda, with its papers not yet circulated; refused
    for a standing item, an item whose papers have been circulated or one with a declaration of
    interest (:func:`clerk.rules.papers.may_change_item`). Removing it again changes nothing."""
    meeting = get_meeting(app, cmd.meeting)
    refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        sync_standing_items(app, db, meeting)
        row = _item_row(db, meeting, cmd.item_id)
        if row is None:
            return ItemChanged("same", meeting.ref, "", "that item is not on the agenda (removed "
                               "already?)", _state(db, meeting).version)
        papers = fetch_all(db, "SELECT id, filename, sha256, status, circulation_id FROM papers "
                               "WHERE item_id = ? ORDER BY id", [row["id"]])
        declared = fetch_one(db, "SELECT COUNT(*) AS n FROM declarations WHERE item_id = ?",
                             [row["id"]])
        _refuse_unless(may_change_item(
            "remove", standing=row["kind"] != "item",
            papers_circulated=sum(1 for p in papers if p["circulation_id"] is not None),
            declarations=int(declared["n"]) if declared else 0))
        number = _number_of(app, db, meeting, row["id"])
        execute(db, "DELETE FROM papers WHERE item_id = ?", [row["id"]])
        execute(db, "DELETE FROM agenda_items WHERE id = ?", [row["id"]])
        audit.record(db, at=now, actor=cmd.actor, action="agenda.remove_item",
                     subject=meeting.ref, channel=cmd.channel,
                     detail={"item_id": row["id"], "title": row["title"], "number": number,
                             "papers": [{"file": p["filename"], "sha256": p["sha256"]}
                                        for p in papers]})
        version = _changed(app, db, meeting, now, f"item removed: {row['title']}")
        names = [p["filename"] for p in papers if p["status"] == "current"]
        with_papers = f" with its papers ({', '.join(names)})" if names else ""
        return ItemChanged("changed", meeting.ref, row["title"], f'item {number} "{row["title"]}" '
                           f"removed{with_papers}", version)


# ----------------------------------------------------------------------------- the Chair


def approvers(app: Clerk, db: Database, meeting: Meeting) -> list[Approver]:
    """Who may approve this meeting's agenda: the Chair (:func:`clerk.rules.roles.chair_of`:
    by office, else the configured address) and, where the body allows it, each Vice-Chair.
    Reads only: a configured Chair clerk has not written to yet has no ``person_id``."""
    body = app.body(meeting.body)
    holders = office_holders(db, meeting.body)
    out = []
    chair = chair_of(body, holders)
    if chair is not None:
        person = find_person(db, chair.email)
        name = chair.name  # a configured Chair is "Chair" until clerk knows their name
        if chair.by == "configuration" and person is not None \
                and person.name not in ("", person.email):
            name = person.name
        out.append(Approver(normalise_email(chair.email), name, body.chairing.chair_office,
                            person.id if person else None))
    if body.papers.vice_chair_may_approve and body.chairing.deputy_office:
        deputy = body.chairing.deputy_office.casefold()
        for holder in holders:
            person = find_person(db, holder.email)
            if holder.office.casefold() == deputy and person is not None:
                out.append(Approver(person.email, person.name, holder.office, person.id))
    return out


def configured_chair(app: Clerk, db: Database, meeting: Meeting, email: str) -> bool:
    """Whether ``email`` is the Chair by the configured ``chair_email`` (which counts only while
    no member holds the Chair's office)."""
    chair = chair_of(app.body(meeting.body), office_holders(db, meeting.body))
    return chair is not None and chair.by == "configuration" \
        and normalise_email(chair.email) == normalise_email(email)


def send_draft(app: Clerk, meeting_ref: str, *, actor: str = "facilitator",
               channel: str = "email") -> DraftResult:
    """Email the draft agenda to the Chair (and the Vice-Chair where they may approve) to
    approve by replying; sending the same version again sends nothing new. ``actor`` and
    ``channel`` are who asked and how, for the audit log."""
    meeting = get_meeting(app, meeting_ref)
    body = app.body(meeting.body)
    if not body.papers.chair_approves_agenda:
        raise Refused(f"{body.label} does not ask the Chair to agree the agenda; the papers go "
                      "out on their due day as the agenda stands")
    refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        sync_standing_items(app, db, meeting)
        return _send_draft_in(app, db, meeting, now, actor=actor, channel=channel)


def send_new_draft(app: Clerk, db: Database, meeting: Meeting) -> DraftResult:
    """Send the Chair the current draft again after an answer to an older one (inside the
    caller's transaction, the standing items already brought up to date)."""
    return _send_draft_in(app, db, meeting, app.clock.now(), changed=True)


def _send_draft_in(app: Clerk, db: Database, meeting: Meeting, now: datetime, *,
                   changed: bool = False, actor: str = "facilitator",
                   channel: str = "email") -> DraftResult:
    """Queue the current draft for each approver (the standing items already stored)."""
    agenda = read_agenda(app, db, meeting)
    people = approvers(app, db, meeting)
    body = app.body(meeting.body)
    if not people:
        raise Refused(f"no Chair is recorded for {body.label}: import the members with "
                      "office = chair, or set chair_email in the configuration")
    execute(db, "UPDATE outbox SET status = 'superseded', last_error = ? WHERE kind = "
                "'agenda_draft' AND subject_ref = ? AND status = 'queued' AND dedupe_key NOT "
                "LIKE ?", [f"replaced by version {agenda.version} of the draft agenda",
                           meeting.ref, f"agenda-draft:{meeting.ref}:v{agenda.version}:%"])
    due = papers_timing(body, meeting.starts_at.astimezone(app.tz).date(),
                        now.astimezone(app.tz).date()).due_on
    sent = []
    for approver in people:
        # a configured Chair clerk has not written to before becomes a person here
        person_id = ensure_person(db, approver.email, approver.name, now).id
        key = issue_key(db, person_id=person_id, purpose="agenda", subject_ref=meeting.ref,
                        now=now, days=app.config.mail.reply_key_days)
        r = render_email("agenda_draft", **mail_context(app, meeting, approver.name),
                         agenda=agenda, version=agenda.version, changed=changed,
                         approved_before=changed and agenda.sent_version is not None,
                         papers_due=day_words(due) if due else "",
                         vice_may=body.papers.vice_chair_may_approve)
        outbox_id = queue(db, app.config.mail, Outgoing(
            kind="agenda_draft", to_addr=approver.email, to_name=approver.name,
            subject=r.subject, text=r.text, html=r.html, person_id=person_id,
            subject_ref=meeting.ref, reply_key=key, purpose="agenda",
            dedupe_key=f"agenda-draft:{meeting.ref}:v{agenda.version}:{person_id}"), now)
        if outbox_id is not None:
            # the version each draft carried, for the reply that quotes it (m008)
            insert(db, "agenda_drafts_sent", {"outbox_id": outbox_id, "meeting_id": meeting.id,
                                              "version": agenda.version})
            sent.append(approver.email)
    execute(db, "UPDATE agendas SET sent_version = ? WHERE meeting_id = ?",
            [agenda.version, meeting.id])
    if sent:
        audit.record(db, at=now, actor="clerk" if changed else actor,
                     action="agenda.sent", subject=meeting.ref,
                     channel="email" if changed else channel,
                     detail={"version": agenda.version, "to": sent, "sha256": agenda.sha256})
    return DraftResult(meeting.ref, agenda.version, tuple(sent), already=not sent)


def mail_context(app: Clerk, meeting: Meeting, recipient_name: str) -> dict[str, Any]:
    body = app.body(meeting.body)
    return {"recipient_name": recipient_name, "body_name": body.name, "body_label": body.label,
            "ref": meeting.ref, "when": in_words(meeting.starts_at, app.tz),
            "where": meeting.where, "venue": meeting.venue, "online_url": meeting.online_url,
            "facilitator": body.facilitator, "from_name": app.config.mail.from_name,
            "organisation": app.config.clerk.organisation}


def ensure_draft_sent(app: Clerk, db: Database, meeting: Meeting) -> str:
    """Bring the standing items up to date and send the Chair the current draft if it has not
    gone yet (for the agenda chaser); says what was done, or why nothing could be."""
    body = app.body(meeting.body)
    if not body.papers.chair_approves_agenda or meeting.status == "cancelled":
        return ""
    sync_standing_items(app, db, meeting)
    agenda = read_agenda(app, db, meeting)
    if agenda.approved or agenda.sent_version == agenda.version:
        return ""
    try:
        result = _send_draft_in(app, db, meeting, app.clock.now())
    except Refused as exc:
        return f"the draft agenda could not be sent: {exc}"
    n = len(result.sent_to)
    return f"the draft agenda was sent to {n} {'person' if n == 1 else 'people'}" if n else ""
