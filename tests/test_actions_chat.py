"""An action point in chat, over the real HTTP stack against the fake Bot API: its owner, linked,
gets the action card with Done / Need more time, and each press is recorded through the same
service as an emailed answer (the facilitator is told); someone else's press changes nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from clerk.actions import get_action, list_actions
from clerk.app import Clerk
from clerk.chat import ChatActionAnswer, answer_action
from clerk.clock import FakeClock
from clerk.errors import Refused
from clerk.meetings.schedule import Meeting
from tests.botapi import BotHarness, FakeBotApi, button
from tests.test_actions import CAROL, FACILITATOR, held, outbox
from tests.test_bot_members import card, link


def test_the_owner_answers_with_the_buttons(clerk_app: Clerk, clock: FakeClock,
                                            meeting: Meeting, api: FakeBotApi) -> None:
    async def scenario() -> int:
        async with BotHarness(clerk_app, api) as h:
            assert "linked to Carol Chowdhury" in await link(h, 41, CAROL)
            assert "linked to Dev Davies" in await link(h, 42, "dev.davies@example.org")
            held(clerk_app, clock, meeting)  # the minutes' actions: Carol's is emailed and mirrored
            message, call = await card(h, 41, "circulate the carers survey")
            assert "An action for you" in message["text"]
            assert "Due Sunday 14 March 2027" in message["text"]
            assert [label for label, _ in call.buttons] == ["Done", "Need more time"]
            carol = next(a for a in list_actions(clerk_app, meeting=meeting.ref)
                         if a.owner_email == CAROL)
            # Dev's chat cannot answer Carol's action (say its data were replayed there)
            with pytest.raises(Refused, match="only its owner can answer it here"):
                answer_action(clerk_app, ChatActionAnswer(42, carol.id, "done"))
            assert get_action(clerk_app, carol.id).status == "open"

            weeks = await h.tap(41, message, button(call, "Need more time"))
            assert "How much more time do you need?" in weeks.text
            more = next(c for c in api.calls_of("editMessageText", 41)
                        if "How much more time" in c.text)
            moved = await h.tap(41, message, button(more, "2 more weeks"))
            assert "Recorded: it is now due Sunday 28 March 2027" in moved.text
            done = await h.tap(41, message, button(more, "Done"))
            assert "Recorded as done" in done.text
            return carol.id

    action_id = asyncio.run(scenario())
    action = get_action(clerk_app, action_id)
    assert (action.status, action.due) == ("done", date(2027, 3, 28))
    assert [(u.channel, u.kind) for u in action.updates] == [("telegram", "more_time"),
                                                             ("telegram", "done")]
    assert [r["to_addr"] for r in outbox(clerk_app, "action_update")] == [FACILITATOR] * 2
    assert clock.now() == datetime(2027, 1, 18, 9, 0, tzinfo=UTC)
