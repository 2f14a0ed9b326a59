"""Telegram answering 429 (RetryAfter) for a while in the middle of a reminder fan-out: every
message is still delivered, exactly once. A refused bulk message goes straight back to the chat
outbox (``mark_retry``, due after ``retry_after``) and is sent on a later pass; meanwhile the bot
sends nothing for ``retry_after`` (bot.flood_limits), so it probes the flood once a second rather
than sending the whole batch into it."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.deadlines.handlers import DueJob, run_reminder
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.times import parse_local
from tests.app_fixtures import link_members as linked
from tests.botapi import BotHarness, FakeBotApi

MEMBERS = 40
FIRST_CHAT = 20_000


def link_members(app: Clerk) -> None:
    linked(app, MEMBERS, FIRST_CHAT)


def test_a_reminder_fan_out_through_429s_delivers_each_message_exactly_once(
    clerk_app: Clerk, clock: FakeClock
) -> None:
    link_members(clerk_app)
    m = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                          venue="County Hall"))

    def outbox() -> dict[str, int]:
        return {r["status"]: r["n"] for r in clerk_app.store.all(
            "SELECT status, COUNT(*) AS n FROM chat_outbox GROUP BY status")}

    def requeued() -> list[dict]:
        return clerk_app.store.all("SELECT id, status, attempts FROM chat_outbox WHERE "
                                   "last_error LIKE 'flood limit%'")

    with FakeBotApi() as api:

        async def scenario() -> None:
            async with BotHarness(clerk_app, api, timeout=30) as h:
                # "retry after 1 s" to every message for 4.5 s
                flood_ends = time.monotonic() + 4.5
                api.flood_for(4.5, retry_after=1)
                with h.app.store.write() as db:
                    run_reminder(h.app, db, DueJob(f"reminder-10:{m.ref}", "reminder-10", m.ref,
                                                   clock.now()))
                assert outbox() == {"queued": MEMBERS}
                # the messages PTB gave up on go back to the outbox, due after retry_after on
                # clerk's clock; the others are sent once the flood is over
                await h.wait(lambda: "sending" not in outbox() and requeued())
                await asyncio.sleep(max(0.0, flood_ends - time.monotonic()))
                assert outbox()["queued"] == len(requeued())
                clock.advance(timedelta(seconds=2))
                await h.wait(lambda: outbox() == {"sent": MEMBERS})
                await asyncio.sleep(0.3)  # nothing more is sent

        asyncio.run(scenario())
        sent = api.calls_of("sendMessage")
        refused = [c for c in api.calls if c.method == "sendMessage" and c.status == 429]

    assert sorted(c.chat_id for c in sent) == list(range(FIRST_CHAT, FIRST_CHAT + MEMBERS))
    assert all("Reminder: can you come?" in c.text for c in sent)
    # one message tried after each retry_after, not forty into the flood
    assert 1 <= len(refused) <= 6, [round(c.at - refused[0].at, 1) for c in refused]
    again = requeued()
    assert len(again) == len(refused), "each refused message went back to the outbox"
    assert all(r["status"] == "sent" and r["attempts"] == 2 for r in again)  # refused, then sent
