"""The agenda of a meeting: its items (standing ones added automatically), the draft the Chair is
sent, and the Chair's approval.

Public API (every function is one operation, one transaction, idempotent and audited):

- ``add_item(app, AddItem(meeting, title, lead="", papers=(FileUpload, ...)))`` adds an item
  (with papers); adding the same title again returns the item already there.
- ``get_agenda(app, meeting_ref) -> Agenda`` the numbered agenda with its papers and state.
- ``send_draft(app, meeting_ref) -> DraftResult`` emails the draft to the Chair (and the
  Vice-Chair where the body lets them approve) with a reply key of purpose ``agenda``.
- ``approve_agenda(app, ApproveAgenda(meeting, email, channel, evidence, version=None))
  -> ApprovalOutcome``: **the one way an agenda is approved** (email reply, the bot's "approve
  agenda" button, or the facilitator recording an approval given in person). Only the Chair, or
  the Vice-Chair where the body allows it, may approve; anyone else gets ``status="refused"``
  (recorded, never raised). ``version`` is the draft version answered (None: the current one);
  an answer to an older draft is ``outdated`` and changes nothing.

Standing items, added to every agenda until it is approved: welcome and apologies, declarations
of interest, approval of the minutes of the previous meeting, and each decision of an earlier
meeting still unresolved (:func:`clerk.agenda.carried.carried_decisions`).

Changing an approved agenda withdraws the approval and sends the Chair the new draft: the papers
wait for the new approval (or, once circulated, the change goes out as a supplement).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.agenda.carried import carried_decisions
from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.meetings.schedule import Meeting, get_meeting, previous_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import ensure_person, find_person, is_email, normalise_email
from clerk.rules.deadlines import papers_due
from clerk.rules.papers import day_words, may_approve_agenda, papers_timing
from clerk.rules.workdays import describe
from clerk.store import audit
from clerk.store.files import FileUpload
from clerk.times import day_in_words, from_iso, in_words, to_iso
from clerk.tokens.reply_keys import issue_key

KIND_ORDER = {"apologies": 100, "declarations": 200, "minutes": 300, "carried": 400, "item": 1000}


@dataclass(frozen=True)
class PaperInfo:
    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    circulated: bool
    circulation_id: int | None = None


@dataclass(frozen=True)
class AgendaItem:
    id: int
    number: int
    kind: str
    title: str
    lead: str
    lead_name: str
    papers: tuple[PaperInfo, ...] = ()

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


@dataclass(frozen=True)
class AddItem:
    """An agenda item: a title, who leads it, and its papers."""

    meeting: str
    title: str
    lead: str = ""
    papers: tuple[FileUpload, ...] = ()
    channel: str = "cli"


@dataclass(frozen=True)
class ApproveAgenda:
    """An approval of a meeting's agenda by ``email``, through ``channel`` (email, chat, cli)."""

    meeting: str
    email: str
    channel: str = "cli"
    evidence: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ApprovalOutcome:
    """``approved``, ``already`` (approved before), ``outdated`` (an answer to an older draft),
    ``refused`` (not the Chair), ``duplicate`` (this message was handled before)."""

    status: Literal["approved", "already", "outdated", "refused", "duplicate"]
    meeting: str
    email: str
    message: str
    circulated: bool = False


@dataclass(frozen=True)
class DraftResult:
    meeting: str
    version: int
    sent_to: tuple[str, ...]
    already: bool


# ----------------------------------------------------------------------------- reading


def _agenda_row(db: Database, meeting: Meeting, now: datetime) -> dict[str, Any]:
    row = db.execute("SELECT * FROM agendas WHERE meeting_id = ?", [meeting.id]).fetchone()
    if row is None:
        db.execute("INSERT INTO agendas (meeting_id, version, updated_at) VALUES (?, 1, ?)",
                   [meeting.id, to_iso(now)])
    cursor = db.execute("SELECT * FROM agendas WHERE meeting_id = ?", [meeting.id])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def _papers_of(db: Database, meeting_id: int) -> dict[int, list[PaperInfo]]:
    out: dict[int, list[PaperInfo]] = {}
    for r in db.query("SELECT * FROM papers WHERE meeting_id = ? AND status = 'current' "
                      "ORDER BY id", [meeting_id]):
        out.setdefault(r["item_id"], []).append(PaperInfo(
            r["id"], r["filename"], r["size"], r["sha256"], r["content_type"],
            r["circulation_id"] is not None, r["circulation_id"]))
    return out


def _items(db: Database, meeting_id: int) -> list[AgendaItem]:
    papers = _papers_of(db, meeting_id)
    rows = list(db.query(
        "SELECT a.*, p.name AS lead_name FROM agenda_items a LEFT JOIN people p "
        "ON p.email = a.lead WHERE a.meeting_id = ? ORDER BY a.sort_key, a.id", [meeting_id]))
    return [AgendaItem(r["id"], n, r["kind"], r["title"], r["lead"], r["lead_name"] or r["lead"],
                       tuple(papers.get(r["id"], ())))
            for n, r in enumerate(rows, start=1)]


def agenda_sha256(items: tuple[AgendaItem, ...] | list[AgendaItem]) -> str:
    """The fingerprint of the agenda a person approved: numbers, titles and leads."""
    text = json.dumps([[i.number, i.title, i.lead] for i in items], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_agenda(app: Clerk, db: Database, meeting: Meeting) -> Agenda:
    """The agenda inside the caller's transaction (standing items brought up to date)."""
    now = app.clock.now()
    _sync_standing(app, db, meeting, now)
    row = _agenda_row(db, meeting, now)
    items = tuple(_items(db, meeting.id))
    body = app.body(meeting.body)
    approver = ""
    if row["approved_by"] is not None:
        person = db.table("people").get(row["approved_by"])
        approver = f"{person['name']} <{person['email']}>"
    approved = row["approved_version"] == row["version"]
    return Agenda(meeting, row["version"], items, body.papers.chair_approves_agenda, approved,
                  approver, from_iso(row["approved_at"]) if row["approved_at"] else None,
                  row["sent_version"], agenda_sha256(items))


def get_agenda(app: Clerk, meeting_ref: str) -> Agenda:
    """The numbered agenda of a meeting, its papers, and whether the Chair has approved it."""
    meeting = get_meeting(app, meeting_ref)
    with app.store.write() as db:
        return read_agenda(app, db, meeting)


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
    """When the papers are due and how their circulations went, marked late as the emails are."""
    body = app.body(meeting.body)
    meeting_day = meeting.starts_at.astimezone(app.tz).date()
    timing = papers_timing(body, meeting_day, app.clock.now().astimezone(app.tz).date())
    circulations = tuple(
        CirculationInfo(r["id"], r["kind"], r["number"],
                        from_iso(r["started_at"]).astimezone(app.tz).date(), bool(r["late"]),
                        r["timing"], _held_files(r["detail"]))
        for r in db.query("SELECT id, kind, number, started_at, late, timing, detail FROM "
                          "circulations WHERE meeting_id = ? AND kind IN ('papers', "
                          "'supplement') ORDER BY id", [meeting.id]))
    # overdue: something to circulate, not circulated, past its day (a cancelled meeting never)
    business = db.execute("SELECT 1 FROM agenda_items WHERE meeting_id = ? AND kind = 'item' "
                          "LIMIT 1", [meeting.id]).fetchone() is not None
    overdue = timing.late and not circulations and business and meeting.status != "cancelled"
    return PapersSchedule(papers_due(body, meeting_day),
                          describe(body.papers.notice, body.papers.unit), circulations,
                          overdue=overdue, late_now=timing.late)


def get_papers_schedule(app: Clerk, meeting_ref: str) -> PapersSchedule:
    """:func:`papers_schedule` for the meeting ``meeting_ref``."""
    meeting = get_meeting(app, meeting_ref)
    return papers_schedule(app, app.store.db, meeting)


def ready_to_circulate(agenda: Agenda) -> bool:
    """Whether the papers may go: approved, or the body does not ask the Chair."""
    return agenda.approved or not agenda.needs_approval


# ----------------------------------------------------------------------------- standing items


def _standing(app: Clerk, meeting: Meeting) -> list[tuple[str, str, str]]:
    """The standing items this meeting should have: (kind, source, title)."""
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
    wanted += [("carried", f"decision:{c.decision_id}", c.title)
               for c in carried_decisions(app, meeting)]
    return wanted


def _sync_standing(app: Clerk, db: Database, meeting: Meeting, now: datetime) -> bool:
    """Bring the standing items up to date while the agenda is not approved; True if changed."""
    row = _agenda_row(db, meeting, now)
    if row["approved_version"] is not None and row["approved_version"] == row["version"]:
        return False
    if meeting.status == "cancelled":
        return False
    wanted = _standing(app, meeting)
    have = {(r["kind"], r["source"]): r for r in db.query(
        "SELECT id, kind, source, title FROM agenda_items WHERE meeting_id = ? AND kind != "
        "'item'", [meeting.id])}
    changed = False
    for n, (kind, source, title) in enumerate(wanted):
        current = have.pop((kind, source), None)
        sort_key = KIND_ORDER[kind] + n
        if current is None:
            db.table("agenda_items").insert({"meeting_id": meeting.id, "sort_key": sort_key,
                                       "kind": kind, "title": title, "source": source,
                                       "created_at": to_iso(now)})
            changed = True
        elif current["title"] != title:
            db.table("agenda_items").update(current["id"], {"title": title, "sort_key": sort_key})
            changed = True
    for gone in have.values():  # e.g. a decision since ratified
        if not db.execute("SELECT 1 FROM papers WHERE item_id = ?", [gone["id"]]).fetchone():
            db.execute("DELETE FROM agenda_items WHERE id = ?", [gone["id"]])
            changed = True
    if changed and row["sent_version"] is not None:
        _changed(app, db, meeting, now, "standing items brought up to date")
    return changed


# ----------------------------------------------------------------------------- changing it


def _changed(app: Clerk, db: Database, meeting: Meeting, now: datetime, why: str) -> int:
    """The agenda changed: a new version; an approval is withdrawn and the Chair asked again."""
    row = _agenda_row(db, meeting, now)
    version: int = row["version"] + 1
    was_approved = row["approved_version"] == row["version"]
    db.execute("UPDATE agendas SET version = ?, updated_at = ? WHERE meeting_id = ?",
               [version, to_iso(now), meeting.id])
    body = app.body(meeting.body)
    if body.papers.chair_approves_agenda and was_approved:
        db.execute("UPDATE meetings SET agenda_approved_at = NULL WHERE id = ?", [meeting.id])
        audit.record(db, at=now, actor="clerk", action="agenda.approval_withdrawn",
                     subject=meeting.ref, channel="clerk",
                     detail={"version": version, "why": why})
    if body.papers.chair_approves_agenda and (was_approved or row["sent_version"] is not None):
        _send_draft_in(app, db, meeting, now, changed=True)
    return version


def add_item(app: Clerk, cmd: AddItem) -> AgendaItem:
    """Add an item (and its papers) after the items already there; the same title again
    returns the existing item (adding any new papers to it)."""
    from clerk.agenda.papers import attach_paper  # papers builds on the agenda

    title = " ".join(cmd.title.split())
    if not title:
        raise BadInput("the item needs a title")
    lead = cmd.lead.strip()
    if lead and "@" in lead:
        if not is_email(lead):
            raise BadInput(f'the lead "{lead}" is not an email address')
        lead = normalise_email(lead)
    meeting = get_meeting(app, cmd.meeting)
    _refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        read_agenda(app, db, meeting)
        same = db.execute("SELECT id FROM agenda_items WHERE meeting_id = ? AND kind = 'item' "
                          "AND title = ?", [meeting.id, title]).fetchone()
        if same is None:
            n = db.execute("SELECT COUNT(*) FROM agenda_items WHERE meeting_id = ? AND kind = "
                           "'item'", [meeting.id]).fetchone()[0]
            item_id = int(str(db.table("agenda_items").insert({
                "meeting_id": meeting.id, "sort_key": KIND_ORDER["item"] + n, "kind": "item",
                "title": title, "lead": lead, "source": f"item:{n + 1}:{title}",
                "created_at": to_iso(now)}).last_pk))
            audit.record(db, at=now, actor="facilitator", action="agenda.add_item",
                         subject=meeting.ref, channel=cmd.channel,
                         detail={"title": title, "lead": lead})
            _changed(app, db, meeting, now, f"item added: {title}")
        else:
            item_id = int(same[0])
        for upload in cmd.papers:
            attach_paper(app, db, meeting, item_id, upload, cmd.channel, now)
        agenda = read_agenda(app, db, meeting)
        return next(i for i in agenda.items if i.id == item_id)


def _refuse_if_over(app: Clerk, meeting: Meeting) -> None:
    if meeting.status == "cancelled":
        raise Refused(f"the meeting {meeting.ref} has been cancelled")
    if meeting.starts_at <= app.clock.now():
        raise Refused(f"the meeting {meeting.ref} has already taken place "
                      f"({in_words(meeting.starts_at, app.tz)})")


# ----------------------------------------------------------------------------- the Chair


def approvers(app: Clerk, db: Database, meeting: Meeting) -> list[dict[str, Any]]:
    """Who may approve this meeting's agenda: the Chair (by office, else the configured
    address) and, where the body allows it, the Vice-Chair. Rows of people, with ``office``."""
    body = app.body(meeting.body)
    offices = [body.chairing.chair_office]
    if body.papers.vice_chair_may_approve:
        offices.append(body.chairing.deputy_office)
    out = []
    for office in offices:
        for r in db.query("SELECT p.*, m.office FROM memberships m JOIN people p ON p.id = "
                          "m.person_id WHERE m.body = ? AND m.active = 1 AND lower(m.office) = "
                          "lower(?) ORDER BY p.name", [meeting.body, office]):
            out.append(dict(r))
    if not any(r["office"].casefold() == body.chairing.chair_office.casefold() for r in out) \
            and body.chair_email:
        person = ensure_person(db, body.chair_email, "Chair", app.clock.now())
        out.insert(0, {**person, "office": body.chairing.chair_office})
    return out


def _office_of(db: Database, body_slug: str, person_id: int) -> str:
    row = db.execute("SELECT office FROM memberships WHERE body = ? AND person_id = ? AND "
                     "active = 1", [body_slug, person_id]).fetchone()
    return row[0] if row else ""


def _is_configured_chair(db: Database, meeting: Meeting, chair_email: str, chair_office: str,
                         email: str) -> bool:
    """The configured ``chair_email`` counts only while no member holds the Chair's office."""
    if not chair_email or normalise_email(chair_email) != email:
        return False
    return db.execute("SELECT 1 FROM memberships WHERE body = ? AND active = 1 AND lower(office) "
                      "= lower(?)", [meeting.body, chair_office]).fetchone() is None


def send_draft(app: Clerk, meeting_ref: str) -> DraftResult:
    """Email the draft agenda to the Chair (and the Vice-Chair where they may approve) to
    approve by replying; sending the same version again sends nothing new."""
    meeting = get_meeting(app, meeting_ref)
    body = app.body(meeting.body)
    if not body.papers.chair_approves_agenda:
        raise Refused(f"{body.label} does not ask the Chair to agree the agenda; the papers go "
                      "out on their due day as the agenda stands")
    _refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        return _send_draft_in(app, db, meeting, now)


def _send_draft_in(app: Clerk, db: Database, meeting: Meeting, now: datetime, *,
                   changed: bool = False) -> DraftResult:
    agenda = read_agenda(app, db, meeting)
    people = approvers(app, db, meeting)
    body = app.body(meeting.body)
    if not people:
        raise Refused(f"no Chair is recorded for {body.label}: import the members with "
                      "office = chair, or set chair_email in the configuration")
    db.execute("UPDATE outbox SET status = 'superseded', last_error = ? WHERE kind = "
               "'agenda_draft' AND subject_ref = ? AND status = 'queued' AND dedupe_key NOT LIKE ?",
               [f"replaced by version {agenda.version} of the draft agenda", meeting.ref,
                f"agenda-draft:{meeting.ref}:v{agenda.version}:%"])
    due = papers_timing(body, meeting.starts_at.astimezone(app.tz).date(),
                        now.astimezone(app.tz).date()).due_on
    sent = []
    for person in people:
        key = issue_key(db, person_id=person["id"], purpose="agenda", subject_ref=meeting.ref,
                        now=now, days=app.config.mail.reply_key_days)
        r = render_email("agenda_draft", **mail_context(app, meeting, person["name"]),
                         agenda=agenda, version=agenda.version, changed=changed,
                         approved_before=changed and agenda.sent_version is not None,
                         papers_due=day_words(due) if due else "",
                         vice_may=body.papers.vice_chair_may_approve)
        if queue(db, app.config.mail, Outgoing(
                kind="agenda_draft", to_addr=person["email"], to_name=person["name"],
                subject=r.subject, text=r.text, html=r.html, person_id=person["id"],
                subject_ref=meeting.ref, reply_key=key, purpose="agenda",
                dedupe_key=f"agenda-draft:{meeting.ref}:v{agenda.version}:{person['id']}"), now):
            sent.append(person["email"])
    db.execute("UPDATE agendas SET sent_version = ? WHERE meeting_id = ?",
               [agenda.version, meeting.id])
    if sent:
        audit.record(db, at=now, actor="clerk" if changed else "facilitator",
                     action="agenda.sent", subject=meeting.ref, channel="email",
                     detail={"version": agenda.version, "to": sent, "sha256": agenda.sha256})
    return DraftResult(meeting.ref, agenda.version, tuple(sent), already=not sent)


def mail_context(app: Clerk, meeting: Meeting, recipient_name: str) -> dict[str, Any]:
    body = app.body(meeting.body)
    return {"recipient_name": recipient_name, "body_name": body.name, "body_label": body.label,
            "ref": meeting.ref, "when": in_words(meeting.starts_at, app.tz),
            "where": meeting.where, "venue": meeting.venue, "online_url": meeting.online_url,
            "facilitator": body.facilitator, "from_name": app.config.mail.from_name,
            "organisation": app.config.clerk.organisation}


# ----------------------------------------------------------------------------- approving


def approve_agenda(app: Clerk, cmd: ApproveAgenda) -> ApprovalOutcome:
    """Record the Chair's approval of the agenda as it stands (see the module docstring). When
    the papers are already due, they are circulated at once (late, if past their day)."""
    from clerk.agenda.circulation import circulate_in  # circulation builds on the agenda

    meeting = get_meeting(app, cmd.meeting)
    body = app.body(meeting.body)
    email = normalise_email(cmd.email)
    if not body.papers.chair_approves_agenda:
        raise Refused(f"{body.label} does not ask the Chair to agree the agenda")
    _refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            return ApprovalOutcome("duplicate", meeting.ref, email, "this approval was already "
                                   "handled")
        agenda = read_agenda(app, db, meeting)
        person = find_person(db, email)
        office = _office_of(db, meeting.body, person["id"]) if person else ""
        verdict = may_approve_agenda(body, office, is_configured_chair=_is_configured_chair(
            db, meeting, body.chair_email, body.chairing.chair_office, email))
        base = {"meeting_id": meeting.id, "version": agenda.version,
                "agenda_sha256": agenda.sha256, "person_id": person["id"] if person else None,
                "email": email, "channel": cmd.channel,
                "evidence": json.dumps(cmd.evidence, sort_keys=True, default=str),
                "at": to_iso(now)}
        if not verdict.ok:
            db.table("agenda_approvals").insert({**base, "outcome": "refused", "reason": verdict.reason})
            audit.record(db, at=now, actor=email, action="agenda.approve_refused",
                         subject=meeting.ref, channel=cmd.channel, evidence=cmd.evidence,
                         detail={"reason": verdict.reason, "version": agenda.version},
                         idempotency_key=cmd.idempotency_key)
            return ApprovalOutcome("refused", meeting.ref, email, verdict.reason)
        if cmd.version is not None and cmd.version != agenda.version:
            reason = (f"the agenda has changed since the draft you answered (version "
                      f"{cmd.version}; it is now version {agenda.version}), so that answer "
                      "cannot approve it; the new draft has been sent to you")
            db.table("agenda_approvals").insert({**base, "outcome": "outdated", "reason": reason})
            audit.record(db, at=now, actor=email, action="agenda.approve_outdated",
                         subject=meeting.ref, channel=cmd.channel, evidence=cmd.evidence,
                         detail={"answered": cmd.version, "current": agenda.version},
                         idempotency_key=cmd.idempotency_key)
            _send_draft_in(app, db, meeting, now, changed=True)
            return ApprovalOutcome("outdated", meeting.ref, email, reason)
        if agenda.approved:
            return ApprovalOutcome("already", meeting.ref, email, f"the agenda (version "
                                   f"{agenda.version}) was already approved by "
                                   f"{agenda.approved_by}")
        assert person is not None
        db.execute("UPDATE agendas SET approved_version = ?, approved_by = ?, approved_at = ?, "
                   "approved_channel = ? WHERE meeting_id = ?",
                   [agenda.version, person["id"], to_iso(now), cmd.channel, meeting.id])
        db.execute("UPDATE meetings SET agenda_approved_at = ? WHERE id = ?",
                   [to_iso(now), meeting.id])
        db.table("agenda_approvals").insert({**base, "outcome": "approved", "reason": verdict.reason})
        audit.record(db, at=now, actor=email, action="agenda.approve", subject=meeting.ref,
                     channel=cmd.channel, evidence=cmd.evidence,
                     detail={"version": agenda.version, "sha256": agenda.sha256,
                             "items": [i.title for i in agenda.items]},
                     idempotency_key=cmd.idempotency_key)
        timing = papers_timing(body, meeting.starts_at.astimezone(app.tz).date(),
                               now.astimezone(app.tz).date())
        circulated = None
        already_out = db.execute("SELECT 1 FROM circulations WHERE meeting_id = ? AND kind = "
                                 "'papers'", [meeting.id]).fetchone() is not None
        if timing.send_now or already_out:
            circulated = circulate_in(app, db, meeting, actor="clerk", channel=cmd.channel)
        words = f"agenda approved by {person['name']} (version {agenda.version})"
        if circulated is not None and circulated.circulation_id:
            words += f"; {circulated.message}"
        elif not already_out and timing.due_on is not None:
            words += f"; the papers go out on {day_words(timing.due_on)}"
        return ApprovalOutcome("approved", meeting.ref, email, words,
                               circulated=bool(circulated and circulated.circulation_id))


def ensure_draft_sent(app: Clerk, db: Database, meeting: Meeting) -> str:
    """Send the Chair the current draft if it has not gone yet (for the agenda chaser); says
    what was done, or why nothing could be."""
    body = app.body(meeting.body)
    if not body.papers.chair_approves_agenda or meeting.status == "cancelled":
        return ""
    agenda = read_agenda(app, db, meeting)
    if agenda.approved or agenda.sent_version == agenda.version:
        return ""
    try:
        result = _send_draft_in(app, db, meeting, app.clock.now())
    except Refused as exc:
        return f"the draft agenda could not be sent: {exc}"
    n = len(result.sent_to)
    return f"the draft agenda was sent to {n} {'person' if n == 1 else 'people'}" if n else ""
