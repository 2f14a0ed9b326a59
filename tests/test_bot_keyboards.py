"""Buttons that no longer apply are taken away as a conversation moves on; /cancel of a booking
asks before it cancels; and a freed place is said to go to the next person waiting only when
someone is waiting."""

from __future__ import annotations

import asyncio
from typing import Any

from clerk.app import Clerk
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.times import parse_local
from tests.botapi import BotHarness, FakeBotApi, book, email_code


def meeting(app: Clerk) -> Meeting:
    return add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                       venue="County Hall"))


def with_buttons(api: FakeBotApi, chat: int) -> list[dict[str, Any]]:
    """The bot's messages in the chat that still show buttons."""
    return [m for m in api.bot_messages(chat) if m.get("reply_markup", {}).get("inline_keyboard")]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def shows(h: BotHarness, chat: int, keyboards: list[list[str]]) -> None:
    """Wait until the chat's messages with buttons are exactly ``keyboards`` (an old step's
    buttons are taken off just after the reply, in the bulk lane: within a second or so)."""
    await h.wait(lambda: [labels(x) for x in with_buttons(h.api, chat)] == keyboards)


def status(app: Clerk, email: str) -> str:
    row = app.store.one("SELECT status FROM bookings WHERE email = ?", [email])
    return str(row["status"]) if row else ""


def test_each_step_of_a_booking_takes_the_last_steps_buttons_away(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = meeting(clerk_app)

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            start = await h.say(801, "/book")
            await h.tap(801, h.message_of(start), f"book:{m.id}")
            await shows(h, 801, [["Cancel"]])
            await h.say(801, "Ann Observer")
            await shows(h, 801, [["Back", "Cancel"]])
            confirm = await h.say(801, "ann@example.net")
            await shows(h, 801, [["Confirm", "Back", "Cancel"]])
            await h.tap_label(801, confirm, "Confirm")
            await shows(h, 801, [["Back", "Cancel"]])
            done = await h.say(801, email_code(clerk_app, "ann@example.net"))
            assert "Your place is booked" in done.text
            await h.wait(lambda: not with_buttons(api, 801))

            # stopping half-way takes the buttons away too
            start = await h.say(802, "/book")
            await h.tap(802, h.message_of(start), f"book:{m.id}")
            await h.say(802, "Bob Briggs")
            stopped = await h.say(802, "/cancel")
            assert "Booking stopped" in stopped.text
            await h.wait(lambda: not with_buttons(api, 802))

            # and so does a question, once it is sent
            start = await h.say(803, "/ask")
            await h.tap(803, h.message_of(start), f"ask:{m.id}")
            await h.say(803, "Cat Observer")
            await shows(h, 803, [["Cancel"]])
            await h.say(803, "Will the budget be discussed?")
            await h.wait(lambda: not with_buttons(api, 803))

    asyncio.run(scenario())


def test_cancelling_a_booking_asks_first_and_mentions_the_waiting_list_only_if_someone_waits(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = meeting(clerk_app)

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            await book(h, 811, "Ann Observer", "ann@example.net", m.id)
            menu = await h.say(811, "/cancel")
            ask = await h.tap_label(811, menu, "Cancel: Carers Partnership")
            assert "Cancel your place" in ask.text and "Thursday 14 January 2027" in ask.text
            assert [label for label, _ in ask.buttons] == ["Yes, cancel it", "No, keep it"]
            assert status(clerk_app, "ann@example.net") == "booked"
            kept = await h.tap_label(811, ask, "No, keep it")
            assert "You keep your place" in kept.text and not kept.buttons
            assert status(clerk_app, "ann@example.net") == "booked"

            menu = await h.say(811, "/cancel")
            ask = await h.tap_label(811, menu, "Cancel: Carers Partnership")
            done = await h.tap_label(811, ask, "Yes, cancel it")
            assert "your place for the Worcestershire Carers Partnership" in done.text
            assert "is cancelled" in done.text
            assert "next person waiting" not in done.text  # nobody is waiting
            assert status(clerk_app, "ann@example.net") == "cancelled"

    asyncio.run(scenario())
