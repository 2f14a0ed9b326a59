"""The action log: action points agreed at a meeting, their owners, due dates and updates.

Writing (each an operation: one transaction, idempotent, audited):

- ``add_action(app, AddAction(meeting, text, owner, email="", due=None))``: an action added by
  hand (``clerk actions add``, the console); the same text for the same owner at the same
  meeting again changes nothing.
- ``read_from_minutes(app, db, meeting, filename, content)``: inside the transaction that
  records a draft of the minutes, every ``ACTION:`` line not read before becomes an action, with
  what could not be read of it (:mod:`clerk.reading.action_text`).
- ``update_action(app, UpdateAction(id, ...))``: the facilitator changes the text, owner, due
  date or status (done, open again, withdrawn).
- ``record_update(app, RecordUpdate(id, code, said, ...))``: the owner's own answer (done, a
  new date, cannot do it), by email or chat; the facilitator is told.

An owner is a person clerk knows (a member of the body matched by name, or anyone by address)
or, until the facilitator gives an address, only a name: such an action is flagged
(``unknown_owner``). The owner is emailed when the action is recorded (with a reply key of
purpose ``action``) and reminded before it is due (:func:`remind_owner`, the scheduler's
``action-reminder`` job).

The model and the reads are in :mod:`clerk.actions.model`; the emails in
:mod:`clerk.actions.notices`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from clerk.actions.model import (
    ACTION_SELECT,
    Action,
    ActionResult,
    AddAction,
    MinutesActions,
    RecordUpdate,
    Update,
    UpdateAction,
    load_action,
    updates_of,
)
from clerk.actions.notices import due_words, tell_facilitator, tell_owner
from clerk.app import Clerk
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.people.directory import ensure_person, find_person, is_email
from clerk.reading.action_text import read_action_lines
from clerk.reading.document import document_text
from clerk.rules.actions import ACTION_STATUSES, OwnerProblem, new_due_date
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert, update
from clerk.times import to_iso

#: Titles left out when a name in the minutes is matched to a member's.
_TITLES = re.compile(r"^(?:dr|cllr|councillor|mr|mrs|ms|miss|mx|prof|professor|rev|sir)\.?\s+")


# ----------------------------------------------------------------------------- owners


def _normal_name(name: str) -> str:
    return _TITLES.sub("", re.sub(r"\s+", " ", name.strip().lower()))


def _resolve_owner(db: Database, body: str, owner: str, email: str,
                   now: datetime) -> tuple[int | None, str, tuple[OwnerProblem, ...]]:
    """The owner as (person id or None, name, problems): an address is anyone's (made known if
    new); a name is matched to the body's members, then to anyone clerk knows by that name."""
    owner = owner.strip()
    if is_email(owner) or email:
        address = email or owner
        if not is_email(address):
            raise BadInput(f"{address!r} is not an email address")
        known = find_person(db, address)
        name = owner if owner and not is_email(owner) else (known.name if known else address)
        person = ensure_person(db, address, name, now)
        return person.id, person.name, ()
    wanted = _normal_name(owner)
    for sql, params in (
            ("SELECT p.id, p.name FROM memberships ms JOIN people p ON p.id = ms.person_id "
             "WHERE ms.body = ? AND ms.active = 1", [body]),
            ("SELECT id, name FROM people", [])):
        found = {int(r["id"]): str(r["name"]) for r in fetch_all(db, sql, params)
                 if _normal_name(str(r["name"])) == wanted}
        if len(found) == 1:
            (pid, name), = found.items()
            return pid, name, ()
        if len(found) > 1:
            return None, owner, ("ambiguous_owner",)
    return None, owner, ("unknown_owner",)


# ----------------------------------------------------------------------------- writing


def _insert(app: Clerk, db: Database, meeting: Meeting, *, text: str, owner: str, email: str,
            due: date | None, source: str, line: str, problems: tuple[str, ...], actor: str,
            channel: str) -> tuple[Action, tuple[int, ...]]:
    now = app.clock.now()
    owner_id, name, owner_problems = (None, "", ()) if not owner.strip() and not email else \
        _resolve_owner(db, meeting.body, owner, email, now)
    all_problems = tuple(dict.fromkeys(problems + owner_problems))
    action_id = insert(db, "actions", {
        "meeting_id": meeting.id, "body": meeting.body, "text": text, "owner_id": owner_id,
        "owner_name": name, "due_on": due.isoformat() if due else "",
        "first_due_on": due.isoformat() if due else "", "status": "open", "source": source,
        "line": line, "problems": ",".join(all_problems), "created_at": to_iso(now),
        "updated_at": to_iso(now)})
    action = load_action(db, action_id)
    audit.record(db, at=now, actor=actor, action="action.add", subject=meeting.ref,
                 channel=channel, detail={"action": action_id, "text": text, "owner": name,
                                          "owner_id": owner_id, "due": action.due,
                                          "source": source, "problems": list(all_problems)})
    queued = tell_owner(app, db, action, "action_recorded",
                        f"action-recorded:{action_id}:{owner_id}")
    return action, (queued,) if queued else ()


def add_action(app: Clerk, cmd: AddAction) -> ActionResult:
    """Record an action agreed at ``cmd.meeting`` and email its owner."""
    meeting = get_meeting(app, cmd.meeting)
    if meeting.status == "cancelled":
        raise Refused(f"the meeting {meeting.ref} was cancelled: it agreed no actions")
    text = " ".join(cmd.text.split())
    if not text:
        raise BadInput("an action needs its text")
    if not cmd.owner.strip() and not cmd.email:
        raise BadInput("an action needs an owner (--owner EMAIL or NAME)")
    with app.store.write() as db:
        same = fetch_one(db, f"{ACTION_SELECT} WHERE a.meeting_id = ? AND a.text = ? AND "
                             "a.status != 'withdrawn' AND (lower(a.owner_name) = ? OR "
                             "lower(p.email) = ?)",
                         [meeting.id, text, cmd.owner.strip().lower(),
                          (cmd.email or cmd.owner).strip().lower()])
        if same is not None:
            action = Action.from_row(same, updates_of(db, int(same["id"])))
            return ActionResult("already", action, f"action {action.id} is recorded already")
        action, queued = _insert(app, db, meeting, text=text, owner=cmd.owner, email=cmd.email,
                                 due=cmd.due, source="added", line="",
                                 problems=() if cmd.due else ("no_date",), actor=cmd.actor,
                                 channel=cmd.channel)
        return ActionResult("recorded", action, _recorded_words(action, queued), queued)


def _recorded_words(action: Action, queued: tuple[int, ...]) -> str:
    owner = action.owner_name or "no owner"
    words = f"action {action.id} recorded for {owner}"
    if queued:
        words += "; the owner is emailed"
    if action.problems:
        words += f"; to check: {', '.join(p.replace('_', ' ') for p in action.problems)}"
    return words


def read_from_minutes(app: Clerk, db: Database, meeting: Meeting, filename: str, content: bytes,
                      *, actor: str = "facilitator", channel: str = "cli") -> MinutesActions:
    """Inside the transaction recording a draft of the minutes: add an action for every
    ``ACTION:`` line not read from an earlier draft of this meeting's minutes."""
    doc = document_text(filename, content)
    if not doc.read:
        return MinutesActions(doc.code)
    held_on = meeting.starts_at.astimezone(app.tz).date()
    lines = tuple(read_action_lines(doc.text, held_on))
    seen = {str(r["line"]) for r in fetch_all(
        db, "SELECT line FROM actions WHERE meeting_id = ? AND source = 'minutes'", [meeting.id])}
    added = []
    for line in lines:
        if line.line in seen:
            continue
        seen.add(line.line)
        action, _ = _insert(app, db, meeting, text=line.text or line.line, owner=line.owner,
                            email="", due=line.due, source="minutes", line=line.line,
                            problems=line.problems, actor=actor, channel=channel)
        added.append(action)
    return MinutesActions(doc.code, lines, tuple(added))


def _record(db: Database, action: Action, now: datetime, *, actor: str, channel: str, kind: str,
            said: str = "", due_after: date | None = None) -> Update:
    upd = Update(now, actor, channel, kind, said, action.due, due_after)
    insert(db, "action_updates", {
        "action_id": action.id, "at": to_iso(now), "actor": actor, "channel": channel,
        "kind": kind, "said": said, "due_before": action.due.isoformat() if action.due else "",
        "due_after": due_after.isoformat() if due_after else ""})
    return upd


def update_action(app: Clerk, cmd: UpdateAction) -> ActionResult:
    """The facilitator's correction or update: text, owner, due date, status."""
    if cmd.status is not None and cmd.status not in ACTION_STATUSES:
        raise BadInput(f"the status is one of {', '.join(ACTION_STATUSES)}")
    now = app.clock.now()
    with app.store.write() as db:
        action = load_action(db, cmd.id)
        changes: dict[str, Any] = {}
        problems = list(action.problems)
        if cmd.text is not None and " ".join(cmd.text.split()) != action.text:
            if not cmd.text.strip():
                raise BadInput("an action needs its text")
            changes["text"] = " ".join(cmd.text.split())
            problems = [p for p in problems if p != "no_text"]
        if cmd.owner is not None or cmd.email:
            owner_id, name, owner_problems = _resolve_owner(
                db, action.body, cmd.owner if cmd.owner is not None else action.owner_name,
                cmd.email or "", now)
            if owner_id != action.owner_id or name != action.owner_name:
                changes.update(owner_id=owner_id, owner_name=name)
            problems = [p for p in problems if p not in ("no_owner", "unknown_owner",
                                                         "ambiguous_owner")]
            problems += list(owner_problems)
        if cmd.due is not None and cmd.due != action.due:
            changes["due_on"] = cmd.due.isoformat()
            if not action.first_due:
                changes["first_due_on"] = cmd.due.isoformat()
            problems = [p for p in problems if p not in ("no_date", "bad_date")]
        if cmd.status is not None and cmd.status != action.status:
            changes["status"] = cmd.status
            changes["done_at"] = to_iso(now) if cmd.status == "done" else None
        if ",".join(problems) != ",".join(action.problems):
            changes["problems"] = ",".join(dict.fromkeys(problems))
        if not changes:
            return ActionResult("unchanged", action, f"action {action.id} is like that already")
        changes["updated_at"] = to_iso(now)
        update(db, "actions", action.id, changes)
        kind = changes.get("status") or ("due_changed" if "due_on" in changes else "edited")
        _record(db, action, now, actor=cmd.actor, channel=cmd.channel, kind=str(kind),
                due_after=cmd.due if "due_on" in changes else None)
        audit.record(db, at=now, actor=cmd.actor, action="action.edit", subject=action.meeting_ref,
                     channel=cmd.channel, detail={"action": action.id, **{
                         k: v for k, v in changes.items() if k != "updated_at"}})
        changed = load_action(db, action.id)
        queued: tuple[int, ...] = ()
        if changed.owner_id is not None and changed.owner_id != action.owner_id \
                and changed.status == "open":
            sent = tell_owner(app, db, changed, "action_recorded",
                              f"action-recorded:{changed.id}:{changed.owner_id}")
            queued = (sent,) if sent else ()
        return ActionResult("changed", changed, f"action {action.id} changed: " + ", ".join(
            k.replace("_on", "").replace("_id", "").replace("_", " ")
            for k in changes if k not in ("updated_at", "done_at", "first_due_on", "owner_name",
                                          "problems")) + ("; the owner is emailed" if queued
                                                          else ""), queued)


def record_update(app: Clerk, cmd: RecordUpdate) -> ActionResult:
    """The owner's own answer: done, a new date, or that they cannot do it. The facilitator is
    told of each; the owner gets a receipt saying what was recorded."""
    now = app.clock.now()
    today = now.astimezone(app.tz).date()
    with app.store.write() as db:
        action = load_action(db, cmd.id)
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            return ActionResult("already", action, "this answer was recorded already")
        if cmd.code == "done" and action.status == "done":
            return ActionResult("unchanged", action, f"action {action.id} is done already")
        changes: dict[str, Any] = {"updated_at": to_iso(now)}
        refusal = ""
        if cmd.code == "done":
            if action.status == "open":
                changes.update(status="done", done_at=to_iso(now))
        elif cmd.code == "more_time":
            if cmd.due is None:
                raise BadInput("a new date is needed")
            verdict = new_due_date(action.due, cmd.due, today)
            if not verdict.ok:
                refusal = verdict.reason
            else:
                changes["due_on"] = cmd.due.isoformat()
                if action.status == "done":
                    changes.update(status="open", done_at=None)
        elif cmd.code != "cannot":
            raise BadInput(f"an owner's answer is done, more time or cannot, not {cmd.code}")
        actor = cmd.actor or action.owner_email or action.owner_name
        if refusal:
            result = ActionResult("refused", action, refusal)
        else:
            update(db, "actions", action.id, changes)
            upd = _record(db, action, now, actor=actor, channel=cmd.channel, kind=cmd.code,
                          said=cmd.said, due_after=cmd.due if cmd.code == "more_time" else None)
            changed = load_action(db, action.id)
            queued = [q for q in (
                tell_facilitator(app, db, changed, upd, f"action-update:{action.id}:{to_iso(now)}"
                                                        f":{cmd.idempotency_key or ''}"),
                tell_owner(app, db, changed, "action_receipt",
                           f"action-receipt:{action.id}:{to_iso(now)}:{cmd.idempotency_key or ''}",
                           update=upd, new_due_day=due_words(app, upd.due_after),
                           in_reply_to=cmd.in_reply_to)) if q]
            words = {"done": "marked done",
                     "more_time": f"now due {due_words(app, cmd.due)}",
                     "cannot": "the owner cannot do it; the facilitator is told"}[cmd.code]
            result = ActionResult("changed", changed, f"action {action.id} {words}",
                                  tuple(queued))
        audit.record(db, at=now, actor=actor, action="action.update", subject=action.meeting_ref,
                     channel=cmd.channel, idempotency_key=cmd.idempotency_key,
                     detail={"action": action.id, "code": cmd.code, "said": cmd.said,
                             "due": cmd.due, "refused": refusal})
        return result


def remind_owner(app: Clerk, db: Database, action_id: int, job_key: str) -> str:
    """The reminder job: email the owner of an action still open that it is due soon."""
    action = load_action(db, action_id)
    if action.status != "open":
        return f"action {action.id} is {action.status}: no reminder"
    if action.owner_id is None:
        return f"action {action.id} has no owner with an address: no reminder"
    sent = tell_owner(app, db, action, "action_reminder", f"{job_key}:{action.owner_id}")
    return f"reminded {action.owner_name} of action {action.id}" if sent else \
        "reminder already sent"

