"""Referring a decision a body cannot resolve to another body (its parent): the decision becomes
``referred``, leaves the body's own carried business, and goes onto the first coming agenda of the
other body still open to it (:mod:`clerk.agenda.referred`), with a link back to the meeting and
decision; both facilitators are emailed.

- ``refer_decision(app, ReferDecision(meeting, number, to="", note=""))`` one operation: one
  transaction, audited; referring it again to the same body changes nothing.
- ``list_referrals(app, body=None)`` every referral (reads only).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlite_utils import Database

from clerk.agenda.items import refresh_standing_items
from clerk.agenda.referred import target_meeting
from clerk.app import Clerk
from clerk.attendance.decisions import Decision, decision_from_row
from clerk.errors import NotFound, Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.rules.referrals import may_refer, referral_target
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert, update
from clerk.times import in_words, to_iso


@dataclass(frozen=True)
class ReferDecision:
    """Refer decision ``number`` of ``meeting`` to body ``to`` (a slug or a body's name; empty:
    the body's ``decisions.unresolved.refer_to``, else its one ``reports_to``)."""

    meeting: str
    number: int
    to: str = ""
    note: str = ""
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class Referral:
    """A referral: the decision, the body it went to, and the meeting it is on the agenda of
    (empty while that body has none scheduled). ``already``: it had been referred before."""

    id: int
    decision: Decision
    from_body: str
    to_body: str
    to_label: str
    to_meeting: str
    note: str
    referred_at: str
    already: bool = False
    told: tuple[str, ...] = ()


def _target(app: Clerk, meeting: Meeting, named: str) -> str:
    body = app.body(meeting.body)
    slug = ""
    if named:
        found = app.config.slug_for(named)
        if found is None:
            raise NotFound(f"no body {named!r} in the configuration (give its slug, such as "
                           f"{', '.join(sorted(app.config.bodies))}, or its name)")
        slug = found
    target, verdict = referral_target(meeting.body, body, slug)
    if not verdict.ok:
        raise Refused(verdict.reason)
    return target


def _referral(app: Clerk, db: Database, row: dict[str, Any], decision: Decision,
              from_body: str, *, already: bool = False,
              told: tuple[str, ...] = ()) -> Referral:
    target = target_meeting(db, row["decision_id"], row["to_body"], row["referred_at"])
    to = app.config.bodies.get(row["to_body"])
    return Referral(row["id"], decision, from_body, row["to_body"],
                    to.label if to else row["to_body"], target["ref"] if target else "",
                    row["note"], row["referred_at"], already, told)


def refer_decision(app: Clerk, cmd: ReferDecision) -> Referral:
    """Refer a decision the body could not resolve to another body: it goes on that body's next
    agenda still open (approved agendas are left as approved) and both facilitators are told."""
    meeting = get_meeting(app, cmd.meeting)
    to_slug = _target(app, meeting, cmd.to)
    note = " ".join(cmd.note.split())
    now = app.clock.now()
    with app.store.write() as db:
        row = fetch_one(db, "SELECT * FROM decisions WHERE meeting_id = ? AND number = ?",
                        [meeting.id, cmd.number])
        if row is None:
            raise NotFound(f"{meeting.ref} has no decision {cmd.number} (see clerk decisions "
                           f"list {meeting.ref})")
        earlier = fetch_one(db, "SELECT * FROM referrals WHERE decision_id = ?", [row["id"]])
        if earlier is not None:
            if earlier["to_body"] != to_slug:
                raise Refused(f"decision {cmd.number} of {meeting.ref} was referred to "
                              f"{earlier['to_body']} already")
            return _referral(app, db, earlier, decision_from_row(meeting, row), meeting.body,
                             already=True)
        verdict = may_refer(row["status"])
        if not verdict.ok:
            raise Refused(f"decision {cmd.number} of {meeting.ref}: {verdict.reason}")
        to_body = app.body(to_slug)
        rid = insert(db, "referrals", {"decision_id": row["id"], "from_meeting_id": meeting.id,
                                       "to_body": to_slug, "note": note, "referred_by": cmd.actor,
                                       "referred_at": to_iso(now)})
        update(db, "decisions", row["id"], {"status": "referred",
                                            "status_reason": f"referred to the {to_body.label}"
                                                             + (f": {note}" if note else "")})
        # it leaves the body's own carried business, and joins the other body's agenda
        refresh_standing_items(app, db, meeting.body)
        refresh_standing_items(app, db, to_slug)
        stored = fetch_one(db, "SELECT * FROM referrals WHERE id = ?", [rid])
        decided = fetch_one(db, "SELECT * FROM decisions WHERE id = ?", [row["id"]])
        assert stored is not None and decided is not None  # written just above
        referral = _referral(app, db, stored, decision_from_row(meeting, decided), meeting.body)
        told = _tell_facilitators(app, db, meeting, referral)
        audit.record(db, at=now, actor=cmd.actor, action="decision.refer", subject=meeting.ref,
                     channel=cmd.channel,
                     detail={"number": cmd.number, "text": row["text"], "to": to_slug,
                             "note": note, "on_agenda_of": referral.to_meeting, "told": told})
        return replace(referral, told=tuple(told))


def _tell_facilitators(app: Clerk, db: Database, meeting: Meeting,
                       referral: Referral) -> list[str]:
    """Email the facilitators of both bodies (each once, if the body names one)."""
    from_body, to_body = app.body(meeting.body), app.body(referral.to_body)
    to_meeting = get_meeting(app, referral.to_meeting) if referral.to_meeting else None
    now = app.clock.now()
    told = []
    for address, receiving in ((from_body.facilitator, False), (to_body.facilitator, True)):
        if not address or address in told:
            continue
        r = render_email("referral", recipient_name="Facilitator", receiving=receiving,
                         from_body=from_body, to_body=to_body, decision=referral.decision,
                         from_when=in_words(meeting.starts_at, app.tz), note=referral.note,
                         to_meeting=to_meeting,
                         to_when=in_words(to_meeting.starts_at, app.tz) if to_meeting else "")
        queue(db, app.config.mail, Outgoing(
            kind="referral", to_addr=address, to_name="Facilitator", subject=r.subject,
            text=r.text, html=r.html, subject_ref=meeting.ref,
            dedupe_key=f"referral:{referral.id}:{address}"), now)
        told.append(address)
    return told


def list_referrals(app: Clerk, body: str | None = None) -> list[Referral]:
    """Every referral, oldest first: those from or to ``body`` when given."""
    db = app.store.db
    rows = fetch_all(db, "SELECT r.*, m.ref AS from_ref, m.body AS from_body, d.number FROM "
                         "referrals r JOIN meetings m ON m.id = r.from_meeting_id JOIN decisions "
                         "d ON d.id = r.decision_id ORDER BY r.referred_at, r.id")
    out = []
    for r in rows:
        if body is not None and body not in (r["from_body"], r["to_body"]):
            continue
        meeting = get_meeting(app, r["from_ref"])
        decided = fetch_one(db, "SELECT * FROM decisions WHERE id = ?", [r["decision_id"]])
        assert decided is not None  # a referral's decision is never deleted
        out.append(_referral(app, db, r, decision_from_row(meeting, decided), r["from_body"]))
    return out

