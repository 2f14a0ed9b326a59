"""The ``action`` purpose: an owner's email answer about their action point.

The answer is read in the owner's own words (:func:`clerk.reading.action_text.read_action_reply`:
"done", "done - sent on Tuesday", "need until April", "can I have until 30 April", "I can't do
this") and recorded by :func:`clerk.actions.log.record_update`, which tells the facilitator and
sends the owner a receipt. An unclear answer (or more time without a date clerk can read, or a
date already past) changes nothing: the owner is asked again, shown what was read.
"""

from __future__ import annotations

from sqlite_utils import Database

from clerk.actions.log import record_update
from clerk.actions.model import Action, RecordUpdate, action_by_ref
from clerk.actions.notices import tell_owner
from clerk.app import Clerk
from clerk.mail_in.message import Decision, VerifiedReply
from clerk.mail_in.rsvp import quote
from clerk.reading.action_text import read_action_reply


def _ask_again(app: Clerk, db: Database, action: Action, reply: VerifiedReply,
               why: str) -> Decision:
    queued = tell_owner(app, db, action, "action_unclear",
                        f"action-unclear:{reply.mail.message_key}", why=why,
                        quote=quote(reply.mail.fresh_text), in_reply_to=reply.mail.message_id)
    return Decision("unclear", f"an answer about action {action.id} ({why})",
                    "nothing changed; asked them again", reason=why, meeting=action.meeting_ref,
                    queued=[queued] if queued else [])


def handle_action_reply(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    """Record the owner's answer, or ask again."""
    action = action_by_ref(app, reply.key.subject_ref)
    today = app.clock.now().astimezone(app.tz).date()
    reading = read_action_reply(reply.mail.fresh_text, today)
    if reading.code in ("unclear", "no_date"):
        return _ask_again(app, db, action, reply, reading.code)
    result = record_update(app, RecordUpdate(
        action.id, reading.code, reading.said, reading.due, channel="email",
        actor=reply.sender.email, idempotency_key=reply.idempotency_key,
        in_reply_to=reply.mail.message_id))
    if result.status == "refused":
        return _ask_again(app, db, action, reply, "past")
    if result.status == "unchanged":
        return Decision("processed", f"action {action.id}: done", result.message,
                        meeting=action.meeting_ref)
    if result.status == "already":
        return Decision("duplicate", f"an answer about action {action.id}", result.message,
                        meeting=action.meeting_ref)
    return Decision("processed", f"action {action.id}: {reading.code.replace('_', ' ')}",
                    result.message, meeting=action.meeting_ref, queued=list(result.queued))
