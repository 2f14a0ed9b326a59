"""Observers booking places through the bot, over python-telegram-bot's real HTTP stack against the
fake Bot API on loopback: a whole booking with email confirmation, Back and Cancel, twenty
observers at once, a body that takes no observers, and buttons that no longer apply."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.errors import Refused
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.observers.bookings import RequestBooking, request_booking
from clerk.records.views import meeting_view
from clerk.times import parse_local
from tests.botapi import BotHarness, FakeBotApi, book, email_code


def meeting(app: Clerk, body: str = "carers", when: str = "2027-01-14 10:00", **kw: str) -> Meeting:
    kw.setdefault("venue", "County Hall, Worcester")
    return add_meeting(app, AddMeeting(body, parse_local(when, app.tz), **kw))


def bookings(app: Clerk, m: Meeting) -> list[dict]:
    return app.store.all("SELECT * FROM bookings WHERE meeting_id = ? ORDER BY id", [m.id])


def test_an_observer_books_a_place_confirming_their_email(clerk_app: Clerk, api: FakeBotApi) -> None:
    m = meeting(clerk_app)
    online = meeting(clerk_app, when="2027-02-11 10:00", venue="", online_url="https://meet.example/x")
    meeting(clerk_app, "cypsp-jcb", "2027-01-20 14:00")  # not public: never listed

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            hello = await h.say(501, "/start")
            assert "/meetings" in hello.text and "/book" in hello.text
            listed = await h.say(501, "/meetings")
            assert "Worcestershire Carers Partnership" in listed.text
            assert "Thursday 14 January 2027 at 10:00, County Hall, Worcester" in listed.text
            assert "Thursday 11 February 2027 at 10:00, online" in listed.text
            assert "meet.example" not in listed.text  # the link goes only to those with a place
            assert "15 of 15 places left" in listed.text
            assert "Joint Commissioning" not in listed.text
            assert [d for _l, d in listed.buttons] == [f"book:{m.id}", f"book:{online.id}"]

            ask_name = await h.tap(501, h.message_of(listed), f"book:{m.id}")
            assert "What is your name?" in ask_name.text
            bad = await h.say(501, "4nn")
            assert "letters" in bad.text and "What is your name?" in bad.text
            ask_email = await h.say(501, "Ann Observer")
            assert "What is your email address?" in ask_email.text
            wrong = await h.say(501, "ann at example")
            assert "does not look like an email address" in wrong.text
            confirm = await h.say(501, "Ann.Observer@Example.NET")
            assert "Email: ann.observer@example.net" in confirm.text
            # Back goes to the email step, and a corrected address is used
            back = await h.tap_label(501, confirm, "Back")
            assert "What is your email address?" in back.text
            confirm = await h.say(501, "ann@example.net")
            sent = await h.tap_label(501, confirm, "Confirm")
            assert "emailed a six-digit code to ann@example.net" in sent.text
            assert bookings(clerk_app, m) == []  # nothing is held before the code
            wrong_code = await h.say(501, "000000" if email_code(clerk_app, "ann@example.net")
                                     != "000000" else "111111")
            assert "not right" in wrong_code.text
            done = await h.say(501, email_code(clerk_app, "ann@example.net"))
            assert "Your place is booked, Ann Observer" in done.text
            mine = await h.say(501, "/mybookings")
            assert "You have a place, booked as Ann Observer <ann@example.net>" in mine.text
            nonsense = await h.say(501, "what now?")
            assert "I did not understand that" in nonsense.text

            # a second observer stops half-way: nothing is kept
            start = await h.say(502, "/book")
            await h.tap(502, h.message_of(start), f"book:{m.id}")
            await h.say(502, "Bob Briggs")
            stop = await h.say(502, "/cancel")
            assert "Booking stopped; nothing has been booked" in stop.text
            after = await h.say(502, "bob@example.net")
            assert "I did not understand that" in after.text

    asyncio.run(scenario())
    rows = bookings(clerk_app, m)
    assert [(r["name"], r["email"], r["status"], r["chat_id"]) for r in rows] == \
        [("Ann Observer", "ann@example.net", "booked", 501)]
    confirmation = clerk_app.store.one("SELECT subject FROM outbox WHERE kind = 'booking_confirmed'")
    assert confirmation["subject"].startswith("Your place at the Carers Partnership")
    view = meeting_view(clerk_app, m.ref)
    assert view["observers"]["booked"] == [{"name": "Ann Observer", "email": "ann@example.net",
                                            "status": "booked", "offer_expires": ""}]
    assert view["observers"]["places_left"] == 14
    # the audit log records what happened, on what evidence, without the observer's details
    events = clerk_app.store.all("SELECT * FROM audit WHERE action LIKE 'booking.%'")
    assert [e["action"] for e in events] == ["booking.code_sent", "booking.booked"]
    assert all(e["channel"] == "telegram" for e in events)
    assert '"update_id"' in events[-1]["evidence"]
    assert not any("ann" in (e["evidence"] + e["detail"] + e["actor"]).lower() for e in events)


def test_twenty_observers_at_once_fill_the_places_and_the_rest_wait(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = meeting(clerk_app)  # the Carers Partnership takes 15 observers
    users = list(range(700, 720))

    async def one(h: BotHarness, user: int) -> str:
        answer = await book(h, user, f"Observer {chr(65 + user - 700)}", f"o{user}@example.net",
                            m.id)
        if "Join the waiting list" in [label for label, _ in answer.buttons]:
            joined = await h.tap_label(user, answer, "Join the waiting list")
            return joined.text
        return answer.text

    async def scenario() -> list[str]:
        async with BotHarness(clerk_app, api) as h:
            texts = await asyncio.gather(*(one(h, u) for u in users))
            # double taps and a repeated update change nothing
            again = await h.say(700, email_code(clerk_app, "o700@example.net"))
            assert "not waiting for one" in again.text
            return list(texts)

    texts = asyncio.run(scenario())
    rows = bookings(clerk_app, m)
    assert len(rows) == 20 == len({r["email"] for r in rows}) == len({r["chat_id"] for r in rows})
    assert sum(r["status"] == "booked" for r in rows) == 15
    assert sum(r["status"] == "waiting" for r in rows) == 5
    assert sum("Your place is booked" in t for t in texts) == 15
    assert sorted(int(t.split("number ")[1][0]) for t in texts if "waiting list, number" in t) \
        == [1, 2, 3, 4, 5]
    assert meeting_view(clerk_app, m.ref)["observers"]["places_left"] == 0


def test_a_double_tap_sends_one_code_and_a_repeated_update_books_once(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = meeting(clerk_app)

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            start = await h.say(801, "/book")
            await h.tap(801, h.message_of(start), f"book:{m.id}")
            await h.say(801, "Cara Cole")
            confirm = await h.say(801, "cara@example.net")
            message = h.message_of(confirm)
            api.press(801, message, "bk:confirm")
            api.press(801, message, "bk:confirm")
            await h.wait(lambda: len(api.calls_of("answerCallbackQuery")) >= 2)
            await h.wait(lambda: "still good" in api.message(801, message["message_id"])["text"]
                         or len(api.calls_of("editMessageText", 801)) >= 2)
            code = email_code(clerk_app, "cara@example.net")
            update_id = api.send_text(801, code)
            await h.wait(lambda: any("Your place is booked" in c.text
                                     for c in api.calls_of("sendMessage", 801)))
            api.repeat(update_id)  # Telegram delivers the same update again
            await asyncio.sleep(0.3)

    asyncio.run(scenario())
    codes = clerk_app.store.all("SELECT * FROM outbox WHERE kind = 'booking_code'")
    assert len(codes) == 1
    assert [r["status"] for r in bookings(clerk_app, m)] == ["booked"]
    assert len(clerk_app.store.all("SELECT 1 FROM audit WHERE action = 'booking.booked'")) == 1


def test_a_body_that_is_not_public_takes_no_observers(clerk_app: Clerk, api: FakeBotApi) -> None:
    jcb = meeting(clerk_app, "cypsp-jcb", "2027-01-20 14:00")
    with pytest.raises(Refused, match="not held in public"):
        request_booking(clerk_app, RequestBooking(jcb.ref, 1, "Ann Observer", "ann@example.net"))

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            listed = await h.say(601, "/meetings")
            assert "no public meetings coming up" in listed.text
            # a crafted (or very old) button for the JCB meeting
            refused = await h.tap(601, h.message_of(listed), f"book:{jcb.id}")
            assert "meetings of the JCB are not held in public, so they take no observers" \
                in refused.text
            assert refused.buttons == []

    asyncio.run(scenario())
    assert bookings(clerk_app, jcb) == []


def test_stale_buttons_answer_clearly(clerk_app: Clerk, clock: FakeClock, api: FakeBotApi) -> None:
    m = meeting(clerk_app)

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            listed = await h.say(901, "/meetings")
            message = h.message_of(listed)
            clock.set(datetime(2027, 1, 13, 12, 0, tzinfo=UTC))  # bookings closed at 10:00
            closed = await h.tap(901, message, f"book:{m.id}")
            assert "bookings closed on Wednesday 13 January 2027 at 10:00, 24 hours before" \
                in closed.text
            clock.set(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
            past = await h.tap(901, message, f"book:{m.id}")
            assert "the meeting has already taken place" in past.text
            # a button from a conversation the bot no longer has (a restart, an old message)
            old = await h.tap(901, message, "bk:confirm")
            assert "This button no longer applies" in old.text
            gone = await h.tap(901, message, "book:9999")
            assert "no longer in the calendar" in gone.text

    asyncio.run(scenario())
    assert bookings(clerk_app, m) == []


def test_bookings_close_sends_the_facilitator_the_list(clerk_app: Clerk, clock: FakeClock,
                                                       api: FakeBotApi) -> None:
    from scheduler.keeper import DeadlineKeeper

    m = meeting(clerk_app)

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            await book(h, 511, "Dee Dawson", "dee@example.net", m.id)

    asyncio.run(scenario())
    clock.set(datetime(2027, 1, 13, 10, 0, tzinfo=UTC) + timedelta(minutes=1))
    DeadlineKeeper(clerk_app).run_due()
    mail = clerk_app.store.one("SELECT * FROM outbox WHERE kind = 'observer_list'")
    assert mail["to_addr"] == "facilitator@carers.example.org"
    assert mail["subject"] == ("Final observer list: Carers Partnership on Thursday 14 January "
                               "2027 at 10:00")
    assert "1. Dee Dawson <dee@example.net>" in mail["raw"].decode()
