"""Replies to people go ahead of bulk sends: while an invitation fan-out of 200 chat cards is going
out, observers booking a place (typing, pressing buttons) get each answer at once, not after the
cards queued before it; and the fan-out with the replies stays within Telegram's flood limits
(the fake Bot API records when each call arrived, and answers 429 beyond 30 a second)."""

from __future__ import annotations

import asyncio

from bot.flood_limits import FloodLimiter, FloodLimits, Lane
from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.times import parse_local
from tests.app_fixtures import link_members as linked
from tests.botapi import BotHarness, Call, FakeBotApi, email_code

MEMBERS = 200
FIRST_CHAT = 10_000
OBSERVERS = (2001, 2002, 2003)
MESSAGE_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")


def link_members(app: Clerk) -> None:
    linked(app, MEMBERS, FIRST_CHAT)


def is_card(call: Call) -> bool:
    return call.method == "sendMessage" and (call.chat_id or 0) >= FIRST_CHAT


def position(api: FakeBotApi, call: Call) -> int:
    return next(i for i, c in enumerate(api.calls) if c is call)


def test_observers_booking_during_a_200_card_fan_out_are_answered_ahead_of_the_cards(
    clerk_app: Clerk
) -> None:
    link_members(clerk_app)
    m = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                          venue="County Hall"))
    # (cards queued before each answer, the answer's place among the calls) per interaction
    waited: list[tuple[int, str]] = []

    with FakeBotApi(flood_per_second=30) as api:  # Telegram's limit, as a token bucket

        async def step(h: BotHarness, user: int, act: str, arg: str, answer: Call | None) -> Call:
            mark = len(api.calls)
            if act == "say":
                got = await h.say(user, arg)
            else:
                assert answer is not None
                got = await h.tap_label(user, answer, arg)
            cards = sum(1 for c in api.calls[mark:position(api, got)] if is_card(c))
            waited.append((cards, f"{act} {arg!r}"))
            return got

        async def observer(h: BotHarness, user: int) -> None:
            email = f"observer{user}@example.net"
            start = await step(h, user, "say", "/book", None)
            await step(h, user, "tap", "Carers", start)
            await step(h, user, "say", f"Observer {chr(65 + user % 26)}", None)
            confirm = await step(h, user, "say", email, None)
            await step(h, user, "tap", "Confirm", confirm)
            done = await step(h, user, "say", email_code(h.app, email), None)
            assert "booked" in done.text.lower() or "place" in done.text.lower(), done.text

        async def scenario() -> None:
            async with BotHarness(clerk_app, api, timeout=60) as h:
                assert len(invite(h.app, m.ref).queued) >= MEMBERS
                await h.wait(lambda: [c for c in api.calls if is_card(c)])  # the fan-out is going
                await asyncio.gather(*(observer(h, u) for u in OBSERVERS))
                booked_at = len(api.calls)
                await h.wait(lambda: sum(1 for c in api.calls if is_card(c)) >= MEMBERS)
                cards_after = sum(1 for c in api.calls[booked_at:] if is_card(c))
                assert cards_after > 0, "the fan-out was over before the bookings: nothing measured"

        asyncio.run(scenario())
        calls = list(api.calls)

    # every answer came before the cards that were still queued when the person acted: at most
    # the few already on their way (a card goes every 50 ms or more; 200 were queued)
    assert len(waited) == 6 * len(OBSERVERS)
    assert max(cards for cards, _ in waited) <= 10, sorted(waited, reverse=True)[:5]
    # each member got their card once, and Telegram never had to refuse anything
    cards = [c for c in calls if is_card(c) and c.status == 200]
    assert sorted(c.chat_id or 0 for c in cards) == list(range(FIRST_CHAT, FIRST_CHAT + MEMBERS))
    assert not [c for c in calls if c.status == 429]
    # at most 30 messages (cards and replies together) in any second, measured at the server
    # (a few ms of slack for the requests' travel)
    sent = [c.at for c in calls if c.method in MESSAGE_METHODS]
    assert len(sent) > 30
    tightest = min(sent[i + 30] - sent[i] for i in range(len(sent) - 30))
    assert tightest >= 0.97, f"31 messages within {tightest:.3f} s"


def test_the_limiter_lets_an_interactive_request_past_queued_bulk_ones_within_the_window() -> None:
    """The limiter alone, on a short window: 40 bulk requests queued, then replies arrive; each
    reply is granted before the bulk requests queued ahead of it, and no window ever holds more
    than its limit (bulk alone never more than its share)."""
    limits = FloodLimits(per_second=10, bulk_per_second=8, window=0.25, chat_interval=0.25)
    order: list[tuple[str, float]] = []

    async def scenario() -> None:
        limiter = FloodLimiter(limits)
        loop = asyncio.get_running_loop()

        async def request(lane: Lane, name: str, chat: int) -> None:
            await limiter.acquire(lane, chat)
            order.append((name, loop.time()))

        bulk = [asyncio.create_task(request(Lane.BULK, f"bulk{i}", 100 + i)) for i in range(40)]
        await asyncio.sleep(0.3)
        replies = [asyncio.create_task(request(Lane.INTERACTIVE, f"reply{i}", 1)) for i in range(3)]
        await asyncio.gather(*replies)
        done_bulk = sum(1 for name, _ in order if name.startswith("bulk"))
        assert done_bulk < 20, "the replies waited for the bulk queue"
        await asyncio.gather(*bulk)
        # two bulk messages to one chat are a chat interval apart
        same = [asyncio.create_task(request(Lane.BULK, f"same{i}", 7)) for i in range(2)]
        await asyncio.gather(*same)

    asyncio.run(scenario())
    times = [t for _, t in order]
    assert all(times[i + limits.per_second] - times[i] >= limits.window - 0.002
               for i in range(len(times) - limits.per_second))
    bulk_times = [t for name, t in order if name.startswith("bulk")]
    assert all(bulk_times[i + limits.bulk_per_second] - bulk_times[i] >= limits.window - 0.002
               for i in range(len(bulk_times) - limits.bulk_per_second))
    same = [t for name, t in order if name.startswith("same")]
    assert same[1] - same[0] >= limits.chat_interval - 0.002
