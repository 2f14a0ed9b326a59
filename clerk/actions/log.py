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

Reading: ``get_action``, ``list_actions`` (of a body or a meeting; open or overdue only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import ensure_person, find_person, is_email, person_by_id
from clerk.reading.action_text import ActionLine, ReplyCode, read_action_lines
from clerk.reading.document import DocumentCode, document_text
from clerk.rules.actions import ACTION_STATUSES, OwnerProblem, action_state, new_due_date
from clerk.rules.verdict import Verdict
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert, update
from clerk.times import day_in_words, from_iso, to_iso
from clerk.tokens.reply_keys import issue_key

#: Titles left out when a name in the minutes is matched to a member's.
_TITLES = re.compile(r"^(?:dr|cllr|councillor|mr|mrs|ms|miss|mx|prof|professor|rev|sir)\.?\s+")

_SELECT = ("SELECT a.*, m.ref AS meeting_ref, m.starts_at AS meeting_starts_at, "
           "p.email AS owner_email, p.name AS person_name FROM actions a "
           "JOIN meetings m ON m.id = a.meeting_id LEFT JOIN people p ON p.id = a.owner_id")


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Update:
    """One update of an action: who gave it, when, by which channel, and what it said."""

    at: datetime
    actor: str
    channel: str
    kind: str
    said: str
    due_before: date | None
    due_after: date | None


@dataclass(frozen=True)
class Action:
    """An action point. ``problems`` are the codes of what could not be read or matched
    (:data:`clerk.reading.action_text.LineProblem`, :data:`clerk.rules.actions.OwnerProblem`);
    ``first_due`` the date first set, kept when the date changes."""

    id: int
    meeting_ref: str
    meeting_starts_at: datetime
    body: str
    text: str
    owner_id: int | None
    owner_name: str
    owner_email: str
    due: date | None
    first_due: date | None
    status: str
    source: str
    line: str
    problems: tuple[str, ...]
    created_at: str
    done_at: str | None
    updates: tuple[Update, ...] = field(default=())

    @classmethod
    def from_row(cls, row: dict[str, Any], updates: tuple[Update, ...] = ()) -> Action:
        problems = tuple(p for p in str(row["problems"] or "").split(",") if p)
        return cls(int(row["id"]), row["meeting_ref"], from_iso(row["meeting_starts_at"]),
                   row["body"], row["text"], row["owner_id"],
                   row["person_name"] or row["owner_name"], row["owner_email"] or "",
                   _day(row["due_on"]), _day(row["first_due_on"]), row["status"], row["source"],
                   row["line"], problems, row["created_at"], row["done_at"], updates)

    @property
    def ref(self) -> str:
        """How a reply key and the scheduler name it: ``action-12``."""
        return f"action-{self.id}"

    @property
    def due_changed(self) -> bool:
        return self.first_due is not None and self.due != self.first_due

    def state(self, today: date) -> Verdict:
        """Overdue, due today, not due, no date, or closed (:func:`clerk.rules.actions.
        action_state`)."""
        return action_state(self.status, self.due, today)

    def overdue(self, today: date) -> bool:
        return self.state(today).code == "overdue"

    def as_json(self, today: date) -> dict[str, Any]:
        return {"id": self.id, "meeting": self.meeting_ref, "body": self.body, "text": self.text,
                "owner": self.owner_name, "owner_email": self.owner_email,
                "due": self.due.isoformat() if self.due else None,
                "first_due": self.first_due.isoformat() if self.first_due else None,
                "status": self.status, "overdue": self.overdue(today), "source": self.source,
                "line": self.line, "problems": list(self.problems),
                "updates": [{"at": to_iso(u.at), "by": u.actor, "channel": u.channel,
                             "kind": u.kind, "said": u.said,
                             "due": u.due_after.isoformat() if u.due_after else None}
                            for u in self.updates]}


@dataclass(frozen=True)
class AddAction:
    meeting: str
    text: str
    owner: str
    email: str = ""
    due: date | None = None
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class UpdateAction:
    """What the facilitator changes (None: unchanged); ``status`` one of open, done, withdrawn."""

    id: int
    text: str | None = None
    owner: str | None = None
    email: str | None = None
    due: date | None = None
    status: str | None = None
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class RecordUpdate:
    """An owner's answer: ``code`` as read (done, more_time with ``due``, cannot)."""

    id: int
    code: ReplyCode
    said: str
    due: date | None = None
    channel: str = "email"
    actor: str = ""
    idempotency_key: str | None = None
    in_reply_to: str = ""


@dataclass(frozen=True)
class ActionResult:
    status: Literal["recorded", "already", "changed", "unchanged", "refused"]
    action: Action
    message: str
    queued: tuple[int, ...] = ()


@dataclass(frozen=True)
class MinutesActions:
    """What was read of a draft's actions: how the file was read, every ``ACTION:`` line, and
    the actions added from them (lines read before are not added again)."""

    code: DocumentCode
    lines: tuple[ActionLine, ...] = ()
    added: tuple[Action, ...] = ()

    @property
    def message(self) -> str:
        if self.code in ("pdf", "unreadable"):
            what = "a PDF" if self.code == "pdf" else "a file clerk cannot read"
            return (f"the minutes are {what}: no action points were read (add them with "
                    "clerk actions add)")
        flagged = sum(1 for a in self.added if a.problems)
        words = f"{len(self.added)} action point(s) read from the minutes"
        return words + (f", {flagged} to check (clerk actions show)" if flagged else "")


# ----------------------------------------------------------------------------- reading


def _updates(db: Database, action_id: int) -> tuple[Update, ...]:
    return tuple(Update(from_iso(r["at"]), r["actor"], r["channel"], r["kind"], r["said"],
                        _day(r["due_before"]), _day(r["due_after"]))
                 for r in fetch_all(db, "SELECT * FROM action_updates WHERE action_id = ? "
                                        "ORDER BY at, id", [action_id]))


def _get(db: Database, action_id: int) -> Action:
    row = fetch_one(db, f"{_SELECT} WHERE a.id = ?", [action_id])
    if row is None:
        raise NotFound(f"no action {action_id} (clerk actions list)")
    return Action.from_row(row, _updates(db, action_id))


def get_action(app: Clerk, action_id: int) -> Action:
    """One action with its updates (NotFound if there is none)."""
    return _get(app.store.db, action_id)


def action_by_ref(app: Clerk, ref: str) -> Action:
    """The action a reply key's ``action-12`` names."""
    number = ref.removeprefix("action-")
    if not number.isdigit():
        raise NotFound(f"{ref} is not an action")
    return get_action(app, int(number))


def list_actions(app: Clerk, body: str | None = None, *, meeting: str | None = None,
                 open_only: bool = False, overdue_only: bool = False,
                 bodies: tuple[str, ...] | None = None) -> list[Action]:
    """Actions of a body (or of one meeting, or of ``bodies``), by due date; withdrawn ones only
    for a meeting. ``open_only``: open ones; ``overdue_only``: open and past their date."""
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if body:
        app.body(body)
        where.append("a.body = ?")
        params.append(body)
    if bodies is not None:
        where.append(f"a.body IN ({', '.join('?' for _ in bodies)})")
        params += list(bodies)
    if meeting:
        where.append("a.meeting_id = ?")
        params.append(get_meeting(app, meeting).id)
    else:
        where.append("a.status != 'withdrawn'")
    if open_only or overdue_only:
        where.append("a.status = 'open'")
    if overdue_only:
        where.append("a.due_on != '' AND a.due_on < ?")
        params.append(app.clock.now().astimezone(app.tz).date().isoformat())
    db = app.store.db
    rows = fetch_all(db, f"{_SELECT} WHERE {' AND '.join(where)} "
                         "ORDER BY a.due_on = '', a.due_on, m.starts_at, a.id", params)
    return [Action.from_row(r, _updates(db, int(r["id"]))) for r in rows]


def open_actions_before(db: Database, body: str, before: datetime) -> int:
    """How many open actions of ``body`` were agreed at meetings before ``before`` (the agenda's
    action log)."""
    row = fetch_one(db, "SELECT COUNT(*) AS n FROM actions a JOIN meetings m ON m.id = "
                        "a.meeting_id WHERE a.body = ? AND a.status = 'open' AND m.starts_at < ?",
                    [body, to_iso(before)])
    return int(row["n"]) if row else 0


def overdue_actions(db: Database, bodies: list[str], today: date) -> dict[str, int]:
    """How many open actions are past their date, by body (the console's dashboard)."""
    if not bodies:
        return {}
    rows = fetch_all(db, "SELECT body, COUNT(*) AS n FROM actions WHERE status = 'open' AND "
                         f"due_on != '' AND due_on < ? AND body IN ({', '.join('?' for _ in bodies)})"
                         " GROUP BY body", [today.isoformat(), *bodies])
    return {str(r["body"]): int(r["n"]) for r in rows}


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


# ----------------------------------------------------------------------------- email


def _context(app: Clerk, action: Action) -> dict[str, Any]:
    body = app.body(action.body)
    return {"action": action, "body_label": body.label, "facilitator": body.facilitator,
            "meeting_day": day_in_words(action.meeting_starts_at, app.tz),
            "due_day": _due_words(app, action.due)}


def _due_words(app: Clerk, due: date | None) -> str:
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
                     new_due_day=_due_words(app, update.due_after), **_context(app, action))
    return queue(db, app.config.mail, Outgoing(
        kind="action_update", to_addr=body.facilitator, to_name="Facilitator",
        subject=r.subject, text=r.text, html=r.html, subject_ref=action.ref,
        dedupe_key=dedupe), app.clock.now())


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
    action = _get(db, action_id)
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
        same = fetch_one(db, f"{_SELECT} WHERE a.meeting_id = ? AND a.text = ? AND "
                             "a.status != 'withdrawn' AND (lower(a.owner_name) = ? OR "
                             "lower(p.email) = ?)",
                         [meeting.id, text, cmd.owner.strip().lower(),
                          (cmd.email or cmd.owner).strip().lower()])
        if same is not None:
            action = Action.from_row(same, _updates(db, int(same["id"])))
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
        action = _get(db, cmd.id)
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
        changed = _get(db, action.id)
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
        action = _get(db, cmd.id)
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
            changed = _get(db, action.id)
            queued = [q for q in (
                tell_facilitator(app, db, changed, upd, f"action-update:{action.id}:{to_iso(now)}"
                                                        f":{cmd.idempotency_key or ''}"),
                tell_owner(app, db, changed, "action_receipt",
                           f"action-receipt:{action.id}:{to_iso(now)}:{cmd.idempotency_key or ''}",
                           update=upd, new_due_day=_due_words(app, upd.due_after),
                           in_reply_to=cmd.in_reply_to)) if q]
            words = {"done": "marked done",
                     "more_time": f"now due {_due_words(app, cmd.due)}",
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
    action = _get(db, action_id)
    if action.status != "open":
        return f"action {action.id} is {action.status}: no reminder"
    if action.owner_id is None:
        return f"action {action.id} has no owner with an address: no reminder"
    sent = tell_owner(app, db, action, "action_reminder", f"{job_key}:{action.owner_id}")
    return f"reminded {action.owner_name} of action {action.id}" if sent else \
        "reminder already sent"

