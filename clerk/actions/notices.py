"""What an action's owner and the body's facilitator are emailed about an action: the owner
when it is recorded, changed or due soon (with a reply key of purpose ``action``), the
facilitator when the owner answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from clerk.actions.model import Action, Update
from clerk.app import Clerk
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import person_by_id
from clerk.times import day_in_words
from clerk.tokens.reply_keys import issue_key


def _context(app: Clerk, action: Action) -> dict[str, Any]:
    body = app.body(action.body)
    return {"action": action, "body_label": body.label, "facilitator": body.facilitator,
            "meeting_day": day_in_words(action.meeting_starts_at, app.tz),
            "due_day": due_words(app, action.due)}


def due_words(app: Clerk, due: date | None) -> str:
    if due is None:
        return ""
    return day_in_words(datetime(due.year, due.month, due.day, 12, tzinfo=app.tz), app.tz)


def tell_owner(app: Clerk, db: Database, action: Action, template: str, dedupe: str,
               **extra: Any) -> int | None:
    """Email the action's owner (with a reply key of purpose ``action``); None when the owner
    has no address or this email was queued before."""
    if action.owner_id is None:
        return None
    person = person_by_id(db, action.owner_id)
    now = app.clock.now()
    key = issue_key(db, person_id=person.id, purpose="action", subject_ref=action.ref, now=now,
                    days=max(app.config.mail.reply_key_days, 366))
    r = render_email(template, recipient_name=person.name, **_context(app, action), **extra)
    return queue(db, app.config.mail, Outgoing(
        kind=template, to_addr=person.email, to_name=person.name, subject=r.subject, text=r.text,
        html=r.html, person_id=person.id, subject_ref=action.ref, reply_key=key,
        purpose="action", in_reply_to=extra.get("in_reply_to") or None,
        auto="auto-replied" if extra.get("in_reply_to") else "auto-generated",
        dedupe_key=dedupe), now)


def tell_facilitator(app: Clerk, db: Database, action: Action, update: Update,
                     dedupe: str) -> int | None:
    """Tell the body's facilitator of an owner's update (none when the body names none)."""
    body = app.body(action.body)
    if not body.facilitator:
        return None
    r = render_email("action_update", recipient_name="Facilitator", update=update,
                     new_due_day=due_words(app, update.due_after), **_context(app, action))
    return queue(db, app.config.mail, Outgoing(
        kind="action_update", to_addr=body.facilitator, to_name="Facilitator",
        subject=r.subject, text=r.text, html=r.html, subject_ref=action.ref,
        dedupe_key=dedupe), app.clock.now())
