"""A conversation survives a restart of the bot (``clerk run`` stopped and started again): its
state is kept in SQLite (python-telegram-bot's persistence interface, :mod:`bot.persistence`).
An observer who was emailed a code can still type it and be booked; one stopped at an earlier
step is told to start again, not "I did not understand that"."""

from __future__ import annotations

import asyncio

from clerk.app import Clerk
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.times import parse_local
from tests.botapi import BotHarness, FakeBotApi, email_code


def meeting(app: Clerk) -> Meeting:
    return add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                       venue="County Hall"))


def test_a_booking_half_done_survives_a_restart(clerk_app: Clerk, api: FakeBotApi) -> None:
    m = meeting(clerk_app)

    async def before() -> None:
        async with BotHarness(clerk_app, api) as h:
            # Ann gets as far as the emailed code
            start = await h.say(1, "/book")
            await h.tap(1, h.message_of(start), f"book:{m.id}")
            await h.say(1, "Ann Observer")
            confirm = await h.say(1, "ann@example.net")
            sent = await h.tap_label(1, confirm, "Confirm")
            assert "emailed a six-digit code" in sent.text
            # Bob has chosen the meeting and is about to give his name
            start = await h.say(2, "/book")
            await h.tap(2, h.message_of(start), f"book:{m.id}")
            # Cat has chosen a meeting to ask about
            start = await h.say(3, "/ask")
            await h.tap(3, h.message_of(start), f"ask:{m.id}")

    async def after() -> None:
        async with BotHarness(clerk_app, api) as h:  # a new bot: clerk run started again
            done = await h.say(1, email_code(clerk_app, "ann@example.net"))
            assert "Your place is booked, Ann Observer" in done.text
            bob = await h.say(2, "Bob Briggs")
            assert "start again" in bob.text and "/book" in bob.text
            assert "did not understand" not in bob.text
            cat = await h.say(3, "Will the budget be discussed?")
            assert "start again" in cat.text and "/ask" in cat.text
            # and the conversations are over: ordinary help from now on
            again = await h.say(2, "Bob Briggs")
            assert "did not understand" in again.text

    asyncio.run(before())
    asyncio.run(after())
    rows = clerk_app.store.all("SELECT name, status FROM bookings WHERE meeting_id = ?", [m.id])
    assert rows == [{"name": "Ann Observer", "status": "booked"}]
    assert clerk_app.store.all("SELECT * FROM questions") == []
    # only conversations still going are kept
    assert clerk_app.store.all("SELECT * FROM bot_conversations") == []
