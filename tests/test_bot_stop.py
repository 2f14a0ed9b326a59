"""Stopping the bot in the middle of a fan-out: the cards not yet handed to Telegram are put back
in the chat outbox at once (not left claimed until a lease ends), the bot returns promptly, and
the next run sends the rest: every member gets their card exactly once."""

from __future__ import annotations

import asyncio
import time

from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.times import parse_local
from tests.botapi import BotHarness, FakeBotApi
from tests.test_bot_lanes import FIRST_CHAT, MEMBERS, is_card, link_members


def test_stopping_mid_fan_out_puts_the_unsent_cards_back_and_the_next_run_sends_them_once(
    clerk_app: Clerk
) -> None:
    link_members(clerk_app)
    m = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                          venue="County Hall"))

    def outbox() -> dict[str, int]:
        return {r["status"]: r["n"] for r in clerk_app.store.all(
            "SELECT status, COUNT(*) AS n FROM chat_outbox GROUP BY status")}

    with FakeBotApi() as api:

        def cards() -> int:
            return sum(1 for c in api.calls if is_card(c) and c.status == 200)

        async def stopped_mid_way() -> float:
            async with BotHarness(clerk_app, api, timeout=30) as h:
                invite(h.app, m.ref)
                await h.wait(lambda: cards() >= 10)
                stopping = time.monotonic()
            return time.monotonic() - stopping

        took = asyncio.run(stopped_mid_way())
        after_stop = outbox()
        sent_first = cards()

        async def again() -> None:
            async with BotHarness(clerk_app, api, timeout=30) as h:
                await h.wait(lambda: cards() >= MEMBERS)
                await asyncio.sleep(0.3)  # nothing more is sent

        asyncio.run(again())
        calls = list(api.calls)

    assert took < 2.0, f"the bot took {took:.1f} s to stop"
    assert "sending" not in after_stop, after_stop  # nothing left claimed
    assert after_stop["sent"] == sent_first < MEMBERS
    assert after_stop["queued"] == MEMBERS - sent_first
    chats = sorted(c.chat_id or 0 for c in calls if is_card(c) and c.status == 200)
    assert chats == list(range(FIRST_CHAT, FIRST_CHAT + MEMBERS))  # each member once
    assert outbox() == {"sent": MEMBERS}
