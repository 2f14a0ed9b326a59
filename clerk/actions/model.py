"""Action points as clerk keeps them: an action (its meeting, text, owner, due date, status
and updates), the commands that change one, and the reads (``get_action``, ``list_actions``
of a body or a meeting, open or overdue only, and the counts the agenda and dashboard need)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import NotFound
from clerk.meetings.schedule import get_meeting
from clerk.reading.action_text import ActionLine, ReplyCode
from clerk.reading.document import DocumentCode
from clerk.rules.actions import action_state
from clerk.rules.verdict import Verdict
from clerk.store.rows import fetch_all, fetch_one
from clerk.times import from_iso, to_iso

#: The columns an :class:`Action` is read from.
ACTION_SELECT = ("SELECT a.*, m.ref AS meeting_ref, m.starts_at AS meeting_starts_at, "
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


def updates_of(db: Database, action_id: int) -> tuple[Update, ...]:
    return tuple(Update(from_iso(r["at"]), r["actor"], r["channel"], r["kind"], r["said"],
                        _day(r["due_before"]), _day(r["due_after"]))
                 for r in fetch_all(db, "SELECT * FROM action_updates WHERE action_id = ? "
                                        "ORDER BY at, id", [action_id]))


def load_action(db: Database, action_id: int) -> Action:
    row = fetch_one(db, f"{ACTION_SELECT} WHERE a.id = ?", [action_id])
    if row is None:
        raise NotFound(f"no action {action_id} (clerk actions list)")
    return Action.from_row(row, updates_of(db, action_id))


def get_action(app: Clerk, action_id: int) -> Action:
    """One action with its updates (NotFound if there is none)."""
    return load_action(app.store.db, action_id)


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
    rows = fetch_all(db, f"{ACTION_SELECT} WHERE {' AND '.join(where)} "
                         "ORDER BY a.due_on = '', a.due_on, m.starts_at, a.id", params)
    return [Action.from_row(r, updates_of(db, int(r["id"]))) for r in rows]


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
