"""The facilitator and the chair in chat: ``/status MEETING`` (replies, quorum forecast,
observers booked) and the chair's button to approve the agenda. Who may do which is decided by
:mod:`clerk.rules.roles` from the linked person's office and the configured addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.items import configured_chair, read_agenda
from clerk.app import Clerk
from clerk.attendance.quorum import forecast
from clerk.chat.members import member_for
from clerk.errors import NotFound, Refused
from clerk.meetings.schedule import Meeting, get_meeting, meeting_by_id
from clerk.messages import render_chat
from clerk.observers.places import places_for
from clerk.outbox.chat_text import Button, ChatReply, data
from clerk.people.directory import Person, office_of
from clerk.people.officers import office_holders
from clerk.rules.meetings import meeting_still_open
from clerk.rules.papers import may_approve_agenda
from clerk.rules.roles import Role, chair_of, may_see_status, staff_roles
from clerk.rules.verdict import Verdict
from clerk.store.rows import fetch_all
from clerk.times import in_words, to_iso


@dataclass(frozen=True)
class ApproveInChat:
    chat_id: int
    meeting: int | str
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


def roles_for(app: Clerk, person: Person, body_slug: str) -> frozenset[Role]:
    body = app.body(body_slug)
    office = office_of(app.store.db, body_slug, person.id)
    chair = chair_of(body, office_holders(app.store.db, body_slug))
    return staff_roles(body, person.email, office or None, chair)


def _staffed_bodies(app: Clerk, person: Person) -> list[str]:
    return [slug for slug, body in app.config.bodies.items()
            if may_see_status(body, roles_for(app, person, slug)).ok]


def status_menu(app: Clerk, chat_id: int) -> ChatReply:
    """``/status`` with no meeting: the next meetings of the bodies this person staffs."""
    person = member_for(app, chat_id)
    bodies = _staffed_bodies(app, person)
    if not bodies:
        raise Refused("only a body's facilitator and chair can see meeting status")
    marks = ",".join("?" for _ in bodies)
    rows = fetch_all(app.store.db, f"SELECT * FROM meetings WHERE body IN ({marks}) AND status = "
                                   f"'scheduled' AND starts_at > ? ORDER BY starts_at LIMIT 8",
                     [*bodies, to_iso(app.clock.now())])
    meetings = [Meeting.from_row(r) for r in rows]
    buttons = tuple((Button(f"{app.body(m.body).label}, {in_words(m.starts_at, app.tz)}",
                            data("status", m.id)),) for m in meetings)
    return ChatReply(render_chat("status_menu", meetings=meetings), buttons)


def _find(app: Clerk, meeting: int | str) -> Meeting:
    try:
        return meeting_by_id(app, meeting)
    except NotFound:
        return get_meeting(app, str(meeting))  # raises NotFound with suggestions


def _may_approve(app: Clerk, person: Person, m: Meeting) -> Verdict:
    """The papers side's rule: the Chair (by office, or the configured address while no member
    holds the office: :func:`clerk.rules.roles.chair_of`), or the Vice-Chair where the body
    allows."""
    return may_approve_agenda(app.body(m.body), office_of(app.store.db, m.body, person.id),
                              is_configured_chair=configured_chair(app, app.store.db, m, person.email))


def meeting_status(app: Clerk, chat_id: int, meeting: int | str, note: str = "") -> ChatReply:
    """Replies, the quorum forecast with its reason, observers booked; an approve button for
    the chair while the agenda awaits approval."""
    person = member_for(app, chat_id)
    m = _find(app, meeting)
    body = app.body(m.body)
    roles = roles_for(app, person, m.body)
    verdict = may_see_status(body, roles)
    if not verdict.ok:
        raise Refused(verdict.reason)
    fc = forecast(app, m)
    places = places_for(app, m) if body.observers.public else None
    agenda = read_agenda(app, app.store.db, m)
    approved = agenda.approved
    approve = _may_approve(app, person, m)
    text = render_chat("status", meeting=m, body=body, when=in_words(m.starts_at, app.tz),
                       forecast=fc,
                       counts={k: sum(1 for r in fc.replies if r.reply == k)
                               for k in ("attend", "apologies", "substitute", "no_reply")},
                       places=places, agenda_needed=body.papers.chair_approves_agenda,
                       agenda_approved=approved, agenda_items=len(agenda.items), note=note)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if approve.ok and not approved and meeting_still_open(m, app.clock.now()).ok:
        buttons = ((Button("Approve the agenda", data("agenda", m.id, "approve")),),)
    return ChatReply(text, buttons)


def approve_agenda_in_chat(app: Clerk, cmd: ApproveInChat) -> ChatReply:
    """The chair's button: approve the agenda through the agenda service (the same as an
    emailed approval), then show the status with the outcome."""
    person = member_for(app, cmd.chat_id)
    m = _find(app, cmd.meeting)
    outcome = approve_agenda(app, ApproveAgenda(
        meeting=m.ref, email=person.email, channel=cmd.channel, evidence=cmd.evidence,
        idempotency_key=cmd.idempotency_key))
    if outcome.status in ("refused", "outdated"):
        raise Refused(outcome.message)
    return meeting_status(app, cmd.chat_id, m.id,
                          note=render_chat("agenda_approved", outcome=outcome))
