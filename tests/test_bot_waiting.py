"""The waiting list through the bot: a freed place is offered to the first waiting, held for the
configured time, taken with a button; an offer not taken lapses (a scheduled job) and passes on."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.rules.terms import ObserverPolicy
from clerk.times import parse_local
from scheduler.keeper import DeadlineKeeper
from scheduler.plan import plan
from tests.botapi import BotHarness, FakeBotApi, book, button


@pytest.fixture
def two_places(clerk_app: Clerk) -> Clerk:
    """The Carers Partnership with two places for observers, held six hours when offered."""
    carers = clerk_app.config.bodies["carers"]
    policy = ObserverPolicy(public=True, capacity=2, booking_closes_hours=24, offer_hold_hours=6)
    bodies = {**clerk_app.config.bodies, "carers": carers.model_copy(update={"observers": policy})}
    return Clerk(config=clerk_app.config.model_copy(update={"bodies": bodies}),
                 store=clerk_app.store, clock=clerk_app.clock)


def meeting(app: Clerk) -> Meeting:
    return add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                       venue="County Hall"))


def status(app: Clerk, email: str) -> str:
    row = app.store.one("SELECT status FROM bookings WHERE email = ?", [email])
    return str(row["status"]) if row else ""


async def fill(h: BotHarness, m: Meeting) -> None:
    """Ann and Bob book the two places; Cat and Dan join the waiting list."""
    for user, name in ((1, "Ann"), (2, "Bob"), (3, "Cat"), (4, "Dan")):
        answer = await book(h, user, f"{name} Observer", f"{name.lower()}@example.net", m.id)
        if user > 2:
            assert "Sorry: all 2 places are taken" in answer.text
            joined = await h.tap_label(user, answer, "Join the waiting list")
            assert f"You are on the waiting list, number {user - 2}" in joined.text


async def offer_to(h: BotHarness, user: int) -> tuple[dict, str]:
    """The offer message the bot sent to this user (from the chat outbox), and the data of its
    Take the place button."""
    found = await h.wait(lambda: [c for c in h.api.calls_of("sendMessage", user)
                                  if "a place has come free" in c.text])
    return h.message_of(found[-1]), button(found[-1], "Take the place")


def test_a_freed_place_is_offered_and_taken(two_places: Clerk, clock: FakeClock,
                                            api: FakeBotApi) -> None:
    app = two_places
    m = meeting(app)

    async def scenario() -> None:
        async with BotHarness(app, api) as h:
            await fill(h, m)
            menu = await h.say(1, "/cancel")
            assert "Press a booking below to cancel it" in menu.text
            ask = await h.tap_label(1, menu, "Cancel: Carers Partnership")
            assert "Cancel your place for the Worcestershire Carers Partnership" in ask.text
            done = await h.tap_label(1, ask, "Yes, cancel it")
            assert "your place for the Worcestershire Carers Partnership" in done.text
            assert "It has been offered to the next person waiting" in done.text
            offer, take = await offer_to(h, 3)
            assert "We are holding it for you until Monday 23 November 2026 at 15:00" \
                in offer["text"]
            assert status(app, "cat@example.net") == "offered"
            taken = await h.tap(3, offer, take)
            assert "The place is yours" in taken.text
            again = await h.tap(3, offer, take)
            assert "you already have this place" in again.text
            mine = await h.say(4, "/mybookings")
            assert "On the waiting list: number 1" in mine.text

    asyncio.run(scenario())
    assert [status(app, f"{n}@example.net") for n in ("ann", "bob", "cat", "dan")] == \
        ["cancelled", "booked", "booked", "waiting"]
    offer_mail = app.store.one("SELECT * FROM outbox WHERE kind = 'observer_offer'")
    assert offer_mail["to_addr"] == "cat@example.net"
    assert len(app.store.all("SELECT 1 FROM outbox WHERE kind = 'booking_confirmed' AND "
                             "to_addr = 'cat@example.net'")) == 1


def test_an_offer_not_taken_lapses_and_passes_on(two_places: Clerk, clock: FakeClock,
                                                 api: FakeBotApi) -> None:
    app = two_places
    m = meeting(app)

    async def scenario() -> None:
        async with BotHarness(app, api) as h:
            await fill(h, m)
            menu = await h.say(2, "/cancel")
            ask = await h.tap_label(2, menu, "Cancel: Carers Partnership")
            await h.tap_label(2, ask, "Yes, cancel it")
            offer, take = await offer_to(h, 3)
            lapse = [j for j in plan(app) if j.kind == "offer-lapse"]
            assert len(lapse) == 1 and lapse[0].at == clock.now() + timedelta(hours=6)
            clock.advance(timedelta(hours=6, minutes=1))
            ran = DeadlineKeeper(app).run_due()
            assert [r.outcome for r in ran if r.job.kind == "offer-lapse"] == \
                ["1 offer(s) lapsed and passed on"]
            lapsed = await h.wait(lambda: [c for c in api.calls_of("sendMessage", 3)
                                           if "was not taken in time" in c.text])
            assert "You are no longer on the waiting list" in lapsed[0].text
            assert "gone to the next person waiting" in lapsed[0].text  # Dan waits
            await offer_to(h, 4)  # Dan is offered the place in turn
            late = await h.tap(3, offer, take)
            assert "This offer no longer applies" in late.text
            assert "the offer lapsed" in late.text
            assert DeadlineKeeper(app).run_due() == []  # the lapse ran once

    asyncio.run(scenario())
    assert [status(app, f"{n}@example.net") for n in ("ann", "bob", "cat", "dan")] == \
        ["booked", "cancelled", "lapsed", "offered"]
    events = [e["action"] for e in app.store.all("SELECT action FROM audit WHERE action LIKE "
                                                 "'booking.offer%' ORDER BY id")]
    assert events == ["booking.offer", "booking.offer_lapsed", "booking.offer"]
