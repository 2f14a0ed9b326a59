"""An action point in chat, for its owner when their chat is linked: the card (the action, when
it is due, its state) with "Done" and "Need more time" (then one, two or four more weeks), each
answer recorded through the same service as an emailed answer
(:func:`clerk.actions.log.record_update`, ``channel="telegram"``), so the facilitator is told."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from clerk.actions.log import record_update
from clerk.actions.model import Action, RecordUpdate, get_action
from clerk.app import Clerk
from clerk.chat.links import linked_person
from clerk.errors import NotFound, Refused
from clerk.messages import render_chat
from clerk.outbox.chat_text import Button, ChatReply, Rows, data
from clerk.times import day_in_words

#: The answers the card's buttons carry: done, more time (which shows the weeks), or a number of
#: more weeks.
ChatAnswer = Literal["done", "more", "w1", "w2", "w4"]
WEEKS = {"w1": 1, "w2": 2, "w4": 4}

NOT_YOURS = "this action is not yours: only its owner can answer it here"


@dataclass(frozen=True)
class ChatActionAnswer:
    chat_id: int
    action_id: int
    answer: ChatAnswer
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


def _day(app: Clerk, due: date | None) -> str:
    if due is None:
        return ""
    return day_in_words(datetime(due.year, due.month, due.day, 12, tzinfo=app.tz), app.tz)


def _buttons(action: Action, more: bool) -> Rows:
    if action.status != "open":
        return ()
    if more:
        return ((Button("1 more week", data("act", action.id, "w1")),
                 Button("2 more weeks", data("act", action.id, "w2")),
                 Button("4 more weeks", data("act", action.id, "w4"))),
                (Button("Done", data("act", action.id, "done")),))
    return ((Button("Done", data("act", action.id, "done")),
             Button("Need more time", data("act", action.id, "more"))),)


def action_card(app: Clerk, action: Action, *, kind: str = "action_recorded", note: str = "",
                more: bool = False) -> ChatReply:
    """The action as its owner sees it in chat, with its buttons while it is open."""
    today = app.clock.now().astimezone(app.tz).date()
    text = render_chat("member_action", kind=kind, action=action,
                       body=app.body(action.body), due_day=_day(app, action.due),
                       meeting_day=day_in_words(action.meeting_starts_at, app.tz),
                       overdue=action.overdue(today), note=note, more=more)
    return ChatReply(text, _buttons(action, more))


def render_action_copy(app: Clerk, action_ref: str, person_id: int, kind: str) -> ChatReply | None:
    """The chat copy of an action email (None once the action is closed or not theirs)."""
    number = action_ref.removeprefix("action-")
    try:
        action = get_action(app, int(number)) if number.isdigit() else None
    except NotFound:
        return None
    if action is None or action.status != "open" or action.owner_id != person_id:
        return None
    return action_card(app, action, kind=kind)


def answer_action(app: Clerk, cmd: ChatActionAnswer) -> ChatReply:
    """A button pressed on an action card: record the answer and return the updated card."""
    person = linked_person(app.store.db, cmd.chat_id)
    action = get_action(app, cmd.action_id)
    if person is None or action.owner_id != person.id:
        raise Refused(NOT_YOURS)
    if action.status != "open" and cmd.answer != "done":
        raise Refused(f"this action is {action.status} already")
    if cmd.answer == "more":
        return action_card(app, action, more=True)
    if cmd.answer == "done":
        result = record_update(app, RecordUpdate(
            action.id, "done", "Done (chat button)", channel="telegram", actor=person.email,
            idempotency_key=cmd.idempotency_key))
    else:
        today = app.clock.now().astimezone(app.tz).date()
        base = max(action.due or today, today)
        due = base + timedelta(weeks=WEEKS[cmd.answer])
        result = record_update(app, RecordUpdate(
            action.id, "more_time", f"Need more time (chat button): until {due:%-d %B %Y}",
            due=due, channel="telegram", actor=person.email,
            idempotency_key=cmd.idempotency_key))
    note = render_chat("action_recorded", result=result, due_day=_day(app, result.action.due))
    return action_card(app, get_action(app, action.id), kind="answer", note=note)
