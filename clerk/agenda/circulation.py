"""Circulating papers and minutes to a body's distribution list.

``circulate_papers(app, meeting_ref)`` sends what is due: the papers (the agenda and every paper)
the first time, then a numbered supplement with whatever is new (a paper added or replaced, or
an agenda changed and approved again). Nothing goes before the Chair has approved the agenda
(where the body asks for that). The scheduler calls it on the papers' due day; an approval that
comes later calls it at once, and such a circulation is marked late in the record and says so.

The distribution list (:func:`distribution_list`) is every active member (advisory members
included), each named substitute who has accepted for this meeting, and the addresses the
configuration lists (``papers.distribution_extra``); addresses known to bounce are skipped and
the reason kept.

**One pack, many recipients.** The attachments are encoded once (:func:`store_shared_body`);
each recipient's outbox row holds only its own head (their name, their reply key). The whole
circulation (the record, a row per recipient, every outbox row) is one transaction, and the
outbox sends each message once, resuming where it stopped after a crash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.agenda.items import (
    Agenda,
    mail_context,
    read_agenda,
    ready_to_circulate,
    sync_standing_items,
)
from clerk.app import Clerk
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Attachment, Outgoing, SharedBody, queue, queue_shared, store_shared_body
from clerk.people.directory import SEAT_SQL, ensure_person, normalise_email
from clerk.rules.papers import PaperSize, Timing, Way, day_words, papers_timing, plan_attachments
from clerk.store import audit
from clerk.store.files import read_file, safe_filename
from clerk.store.rows import execute, fetch_all, fetch_one, insert
from clerk.times import to_iso
from clerk.tokens.reply_keys import issue_key


@dataclass(frozen=True)
class Recipient:
    """One address on the distribution list and why it is there."""

    email: str
    name: str
    person_id: int
    capacity: str


@dataclass(frozen=True)
class PackFile:
    """A file in a circulation: a paper (or the minutes) and how it travels."""

    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    item_number: int = 0
    item_title: str = ""
    site_path: str = ""
    how: Way = "attached"
    url: str = ""
    reason: str = ""

    @property
    def size_words(self) -> str:
        return size_words(self.size)


def size_words(size: int) -> str:
    """``2.4 MB`` or ``120 KB``."""
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} KB"


@dataclass(frozen=True)
class CirculationResult:
    """What a circulation did; ``circulation_id`` is None when nothing was sent (``message``
    says why)."""

    meeting: str
    circulation_id: int | None
    kind: str = ""
    number: int = 0
    late: bool = False
    timing: str = ""
    recipients: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    files: tuple[PackFile, ...] = ()
    message: str = ""


@dataclass
class _Pack:
    """Everything one circulation needs to render and queue its messages."""

    meeting: Meeting
    kind: str
    number: int
    template: str
    files: list[PackFile]
    context: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- who gets it


def distribution_list(app: Clerk, db: Database,
                      meeting: Meeting) -> tuple[list[Recipient], list[tuple[str, str]]]:
    """(recipients, skipped): members, accepted substitutes, and the configured extra
    addresses, each once; addresses known to bounce are skipped with the reason."""
    body = app.body(meeting.body)
    found: dict[str, Recipient] = {}
    undeliverable: dict[str, str] = {}
    for row in fetch_all(db, SEAT_SQL, [meeting.body]):
        capacity = "advisory member" if row["advisory"] else "member"
        found.setdefault(row["email"], Recipient(row["email"], row["name"], row["person_id"],
                                                 capacity))
    for row in fetch_all(
            db, "SELECT p.id, p.email, p.name, m.name AS member FROM invitations i JOIN people p ON "
            "p.id = i.person_id JOIN people m ON m.id = i.stands_for WHERE i.meeting_id = ? AND "
            "i.stands_for IS NOT NULL AND i.reply = 'attend' ORDER BY p.name", [meeting.id]):
        found.setdefault(row["email"], Recipient(row["email"], row["name"], row["id"],
                                                 f"substitute for {row['member']}"))
    for address in body.papers.distribution_extra:
        email = normalise_email(address)
        if email not in found:
            person = ensure_person(db, email, "", app.clock.now())
            found[email] = Recipient(email, person.name, person.id, "on the distribution "
                                     "list")
    for row in fetch_all(db, "SELECT email, undeliverable FROM people WHERE undeliverable IS "
                             "NOT NULL"):
        undeliverable[row["email"]] = row["undeliverable"]
    recipients = [r for r in found.values() if r.email not in undeliverable]
    skipped = [(e, undeliverable[e]) for e in found if e in undeliverable]
    return recipients, skipped


# ----------------------------------------------------------------------------- papers


def circulate_papers(app: Clerk, meeting_ref: str, *, actor: str = "facilitator",
                     channel: str = "cli") -> CirculationResult:
    """Send now whatever is due to go (the papers, or a supplement); nothing if nothing is."""
    meeting = get_meeting(app, meeting_ref)
    with app.store.write() as db:
        return circulate_in(app, db, meeting, actor=actor, channel=channel)


def circulate_in(app: Clerk, db: Database, meeting: Meeting, *, actor: str,
                 channel: str) -> CirculationResult:
    """:func:`circulate_papers` inside the caller's transaction."""
    if meeting.status == "cancelled":
        return CirculationResult(meeting.ref, None, message="the meeting has been cancelled")
    sync_standing_items(app, db, meeting)
    agenda = read_agenda(app, db, meeting)
    if not ready_to_circulate(agenda):
        return CirculationResult(meeting.ref, None, message="not sent: the Chair has not "
                                 f"approved the agenda yet (version {agenda.version})")
    sent = fetch_all(db, "SELECT kind, number, agenda_version FROM circulations WHERE "
                         "meeting_id = ? AND kind IN ('papers', 'supplement') ORDER BY id",
                     [meeting.id])
    pending = [p for item in agenda.items for p in item.papers if not p.circulated]
    if not sent:
        if not pending and all(i.standing for i in agenda.items):
            return CirculationResult(meeting.ref, None, message="nothing to circulate: the "
                                     "agenda has only its standing items and no papers")
        kind, number, agenda_changed = "papers", 1, True
    else:
        agenda_changed = sent[-1]["agenda_version"] != agenda.version
        if not pending and not agenda_changed:
            return CirculationResult(meeting.ref, None, message="nothing new to circulate")
        kind = "supplement"
        number = sum(1 for s in sent if s["kind"] == "supplement") + 1
    files = [_pack_file(app, meeting, item.number, item.title, p.id, p.filename, p.size,
                        p.sha256, p.content_type, f"papers/{p.id}-{safe_filename(p.filename)}")
             for item in agenda.items for p in item.papers if not p.circulated]
    pack = _Pack(meeting, kind, number, "papers", files,
                 {"agenda": agenda, "agenda_changed": agenda_changed,
                  "earlier": {p.id for i in agenda.items for p in i.papers if p.circulated}})
    timing = papers_timing(app.body(meeting.body), meeting.starts_at.astimezone(app.tz).date(),
                           app.clock.now().astimezone(app.tz).date())
    result = _send(app, db, pack, timing, actor, channel, agenda)
    execute(db, f"UPDATE papers SET circulation_id = ? WHERE id IN "
                f"({','.join('?' for _ in files) or 'NULL'})",
            [result.circulation_id, *(f.id for f in files)])
    if kind == "papers":
        execute(db, "UPDATE meetings SET papers_sent_at = ? WHERE id = ? AND papers_sent_at IS "
                    "NULL", [to_iso(app.clock.now()), meeting.id])
    return result


def _pack_file(app: Clerk, meeting: Meeting, item_number: int, item_title: str, file_id: int,
               filename: str, size: int, sha256: str, ctype: str, site_path: str) -> PackFile:
    return PackFile(file_id, filename, size, sha256, ctype, item_number, item_title, site_path)


def link_for(app: Clerk, meeting: Meeting, site_path: str) -> str:
    """Where a linked file is found: under the configured base, as ``clerk publish`` lays out."""
    base = app.body(meeting.body).papers.link_base_url.rstrip("/")
    return f"{base}/{meeting.body}/{meeting.ref}/{site_path}" if base else ""


# ----------------------------------------------------------------------------- sending a pack


def _plan(app: Clerk, pack: _Pack) -> list[PackFile]:
    """Decide for each file: attached, linked, or sent separately (with the reason)."""
    policy = app.body(pack.meeting.body).papers
    can_link = bool(policy.link_base_url)
    plan = plan_attachments([PaperSize(f.id, f.filename, f.size) for f in pack.files],
                            int(policy.attachment_limit_mb * 1_000_000), policy.large_papers,
                            can_link=can_link)
    out = []
    for f in pack.files:
        how = plan.ways[f.id]
        url = link_for(app, pack.meeting, f.site_path) if how == "link" else ""
        out.append(PackFile(**{**f.__dict__, "how": how, "url": url,
                               "reason": plan.reasons[f.id]}))
    return out


def _attachment(db: Database, f: PackFile) -> Attachment:
    main, _, sub = f.content_type.partition("/")
    return Attachment(f.filename, read_file(db, f.sha256), main or "application",
                      sub or "octet-stream")


def _send(app: Clerk, db: Database, pack: _Pack, timing: Timing, actor: str, channel: str,
          agenda: Agenda | None) -> CirculationResult:
    """Record the circulation and queue one message per recipient (plus one per separately
    sent file), all sharing the encoded attachments."""
    now = app.clock.now()
    meeting = pack.meeting
    files = _plan(app, pack)
    recipients, skipped = distribution_list(app, db, meeting)
    circ_id = insert(db, "circulations", {
        "meeting_id": meeting.id, "kind": pack.kind, "number": pack.number,
        "agenda_version": agenda.version if agenda else None,
        "due_on": timing.due_on.isoformat() if timing.due_on else "", "started_at": to_iso(now),
        "late": int(timing.late), "timing": timing.reason, "actor": actor,
        "detail": json.dumps({"files": [{"file": f.filename, "sha256": f.sha256, "how": f.how,
                                         "item": f.item_number} for f in files]})})
    attached = [f for f in files if f.how == "attached"]
    shared = store_shared_body(db, [_attachment(db, f) for f in attached], now) if attached \
        else None
    separate = [(f, store_shared_body(db, [_attachment(db, f)], now))
                for f in files if f.how == "separate"]
    context = {**pack.context, "kind": pack.kind, "number": pack.number, "files": files,
               "late": timing.late, "timing": timing.reason,
               "due": day_words(timing.due_on) if timing.due_on else "",
               "declarations": app.body(meeting.body).declarations_of_interest}
    tag = f"{pack.kind}-{pack.number}"
    for person in recipients:
        key = issue_key(db, person_id=person.person_id, purpose="papers",
                        subject_ref=meeting.ref, now=now, days=app.config.mail.reply_key_days)
        personal = {**mail_context(app, meeting, person.name), **context,
                    "capacity": person.capacity}
        outbox_id = _queue_one(app, db, pack.template, personal, person, key, shared,
                               f"{pack.template}:{meeting.ref}:{tag}:{person.email}", now)
        insert(db, "circulation_recipients", {"circulation_id": circ_id, "email": person.email,
                                              "person_id": person.person_id,
                                              "capacity": person.capacity,
                                              "outbox_id": outbox_id})
        for f, body in separate:
            _queue_one(app, db, "papers_separate", {**personal, "file": f}, person, key, body,
                       f"papers_separate:{meeting.ref}:{tag}:{f.id}:{person.email}", now)
    held = [f for f in files if f.how == "held"]
    if held:
        _tell_facilitator_held(app, db, pack, held, tag, circ_id, now)
    for email, reason in skipped:
        insert(db, "circulation_recipients", {"circulation_id": circ_id, "email": email,
                                              "capacity": "", "skipped": reason})
    words = {"papers": "papers", "supplement": f"supplement {pack.number} to the papers",
             "minutes": "draft minutes" if pack.number == 1 else
             f"revised draft minutes (version {pack.number})"}[pack.kind]
    message = (f"{words} circulated to {len(recipients)} people"
               + (f", {len(skipped)} skipped (mail to them bounces)" if skipped else "")
               + (f"; held back, too large to email: {', '.join(f.filename for f in held)} ("
                  + ("the facilitator has been told)" if app.body(meeting.body).facilitator
                     else "the body has no facilitator to tell)") if held else "")
               + f"; {timing.reason}")
    audit.record(db, at=now, actor=actor, action=f"{'minutes' if pack.kind == 'minutes' else 'papers'}"
                 ".circulate", subject=meeting.ref, channel=channel,
                 detail={"circulation": circ_id, "kind": pack.kind, "number": pack.number,
                         "late": timing.late, "timing": timing.reason,
                         "recipients": len(recipients), "skipped": [e for e, _ in skipped],
                         "files": [[f.filename, f.how, f.sha256] for f in files]})
    return CirculationResult(meeting.ref, circ_id, pack.kind, pack.number, timing.late,
                             timing.reason, tuple(r.email for r in recipients), tuple(skipped),
                             tuple(files), message)


def _tell_facilitator_held(app: Clerk, db: Database, pack: _Pack, held: list[PackFile], tag: str,
                           circ_id: int, now: datetime) -> None:
    """Tell the body's facilitator which files were too large to email (and could not be linked),
    so they can share them another way."""
    body = app.body(pack.meeting.body)
    if not body.facilitator:
        return
    policy = body.papers
    r = render_email("papers_held", **mail_context(app, pack.meeting, "Facilitator"),
                     kind=pack.kind, number=pack.number, files=held,
                     limit_mb=f"{policy.attachment_limit_mb:g}",
                     link_configured=bool(policy.link_base_url))
    queue(db, app.config.mail, Outgoing(
        kind="papers_held", to_addr=body.facilitator, to_name="Facilitator", subject=r.subject,
        text=r.text, html=r.html, subject_ref=pack.meeting.ref,
        dedupe_key=f"papers_held:{pack.meeting.ref}:{tag}:{circ_id}"), now)


def _queue_one(app: Clerk, db: Database, template: str, context: dict[str, Any],
               person: Recipient, key: str, shared: SharedBody | None, dedupe: str,
               now: datetime) -> int | None:
    r = render_email(template, **context)
    msg = Outgoing(kind=template, to_addr=person.email, to_name=person.name, subject=r.subject,
                   text=r.text, html=r.html, person_id=person.person_id,
                   subject_ref=context["ref"], reply_key=key, purpose="papers", dedupe_key=dedupe)
    send: Callable[..., int | None] = queue if shared is None else \
        (lambda d, m, o, n: queue_shared(d, m, o, shared, n))
    return send(db, app.config.mail, msg, now)


# ----------------------------------------------------------------------------- minutes


def minutes_file(db: Database, minutes_id: int, version: int, filename: str, sha256: str,
                 content_type: str) -> PackFile:
    """Version ``version`` of the draft minutes as a file of a circulation."""
    stored = fetch_one(db, "SELECT size FROM files WHERE sha256 = ?", [sha256])
    return PackFile(minutes_id, filename, int(stored["size"]) if stored else 0, sha256,
                    content_type, site_path=f"minutes/v{version}-{safe_filename(filename)}")


def circulate_minutes_in(app: Clerk, db: Database, meeting: Meeting, version: int,
                         file: PackFile, timing: Timing, *, actor: str,
                         channel: str) -> CirculationResult:
    """Send a version of the draft minutes to the distribution list (inside the transaction)."""
    body = app.body(meeting.body)
    pack = _Pack(meeting, "minutes", version, "minutes", [file],
                 {"version": version, "approved_next": body.minutes.approved_at_next_meeting})
    return _send(app, db, pack, timing, actor, channel, None)
