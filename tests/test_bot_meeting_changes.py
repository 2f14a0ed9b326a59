"""A meeting moved or cancelled: observers with a booking are told by email and in their chat (a
place kept, a place on the waiting list), a linked member gets the chat copy of the calendar
email, each once per version of the meeting, and a cancelled meeting leaves /mybookings."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy

import pytest

from clerk.app import Clerk
from clerk.attendance.invitations import cancel_meeting, invite, move_meeting
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.observers.bookings import ConfirmBooking, RequestBooking, confirm_booking, request_booking
from clerk.observers.jobs import erase_personal_data
from clerk.rules.terms import ObserverPolicy
from clerk.times import parse_local, to_iso
from tests.botapi import BotHarness, FakeBotApi, book, email_code

CAROL = "carol.chowdhury@example.org"  # a member of the Carers Partnership
ANN, BOB = "ann@example.net", "bob@example.net"


@pytest.fixture
def one_place(clerk_app: Clerk) -> Clerk:
    """The Carers Partnership with one place for observers."""
    carers = clerk_app.config.bodies["carers"]
    policy = ObserverPolicy(public=True, capacity=1, booking_closes_hours=24, offer_hold_hours=6)
    bodies = {**clerk_app.config.bodies, "carers": carers.model_copy(update={"observers": policy})}
    return Clerk(config=clerk_app.config.model_copy(update={"bodies": bodies}),
                 store=clerk_app.store, clock=clerk_app.clock)


def meeting(app: Clerk) -> Meeting:
    return add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                       venue="County Hall"))


def link_carol(app: Clerk, chat: int) -> None:
    with app.store.write() as db:
        person = app.store.one("SELECT id FROM people WHERE email = ?", [CAROL])
        assert person is not None
        db["chat_links"].insert({"chat_id": chat, "person_id": person["id"],
                                 "linked_at": to_iso(app.clock.now())})


def emails(app: Clerk, kind: str) -> dict[str, list[tuple[str, str, str]]]:
    """To each address, the (status, subject, text) of each email of ``kind``."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for row in app.store.all("SELECT to_addr, status, subject, raw FROM outbox WHERE kind = ? "
                             "ORDER BY id", [kind]):
        body = message_from_bytes(row["raw"], policy=policy.default).get_body(("plain",))
        assert body is not None
        out.setdefault(row["to_addr"], []).append((row["status"], row["subject"],
                                                   body.get_content()))
    return out


def test_observers_and_linked_members_are_told_when_a_meeting_moves_or_is_cancelled(
    one_place: Clerk
) -> None:
    app = one_place
    m = meeting(app)
    link_carol(app, 61)
    invite(app, m.ref)

    async def scenario() -> None:
        with FakeBotApi() as api:
            async with BotHarness(app, api) as h:
                await h.wait(lambda: api.calls_of("sendMessage", 61))  # Carol's invitation card
                assert "Your place is booked" in (await book(h, 71, "Ann Observer", ANN, m.id)).text
                full = await book(h, 72, "Bob Observer", BOB, m.id)
                waiting = await h.tap_label(72, full, "Join the waiting list")
                assert "You are on the waiting list, number 1" in waiting.text

                result = move_meeting(h.app, m.ref, parse_local("2027-01-21 14:00", app.tz))
                assert result.observers == 2 and "2 observers told" in result.message
                ann = await h.wait(lambda: [c for c in api.calls_of("sendMessage", 71)
                                            if "has moved" in c.text])
                assert ann[0].text == (
                    "Ann Observer, the Worcestershire Carers Partnership meeting has moved: it "
                    "was Thursday 14 January 2027 at 10:00, and is now Thursday 21 January 2027 "
                    "at 14:00 (County Hall).\nYour place is kept. If you can no longer come, "
                    "please /cancel so someone else can have it.")
                bob = await h.wait(lambda: [c for c in api.calls_of("sendMessage", 72)
                                            if "has moved" in c.text])
                assert bob[0].text.endswith("You are still on the waiting list.")
                carol = await h.wait(lambda: [c for c in api.calls_of("sendMessage", 61)
                                              if "The meeting has moved." in c.text])
                assert "Thursday 21 January 2027 at 14:00" in carol[0].text
                assert [label for label, _ in carol[0].buttons][:2] == ["Attending", "Apologies"]

                again = move_meeting(h.app, m.ref, parse_local("2027-01-21 14:00", app.tz))
                assert again.changed is False and again.observers == 0

                result = cancel_meeting(h.app, m.ref, reason="The venue is closed for repairs.")
                assert result.observers == 2
                for user, words in ((71, "Your place goes with it."),
                                    (72, "Your place on the waiting list goes with it.")):
                    told = await h.wait(lambda user=user: [c for c in api.calls_of(
                        "sendMessage", user) if "has been cancelled" in c.text])
                    assert "meeting on Thursday 21 January 2027 at 14:00 has been cancelled.\n" \
                           "The venue is closed for repairs.\n" in told[0].text
                    assert words in told[0].text
                cancelled = await h.wait(lambda: [c for c in api.calls_of("sendMessage", 61)
                                                  if "has been cancelled" in c.text])
                assert cancelled[0].buttons == []
                mine = await h.say(71, "/mybookings")
                assert "County Hall" not in mine.text and "21 January" not in mine.text
                await asyncio.sleep(0.2)  # nothing else is sent
            for user in (71, 72):  # each notice once
                texts = [c.text for c in api.calls_of("sendMessage", user)]
                assert sum("has moved" in t for t in texts) == 1
                assert sum("has been cancelled" in t for t in texts) == 1

    asyncio.run(scenario())
    moved = emails(app, "observer_meeting_moved")
    assert set(moved) == {ANN, BOB}
    (status, subject, text), = moved[ANN]
    assert status == "superseded"  # not sent yet (no mail worker here) when it was cancelled
    assert subject == "Meeting moved: Carers Partnership, now Thursday 21 January 2027 at 14:00"
    assert "It was Thursday 14 January 2027 at 10:00." in text
    assert "Your place as an observer is kept." in text
    assert "You are still on the waiting list" in moved[BOB][0][2]
    cancelled = emails(app, "observer_meeting_cancelled")
    assert set(cancelled) == {ANN, BOB}
    assert cancelled[ANN][0][1] == ("Meeting cancelled: Carers Partnership on Thursday 21 "
                                    "January 2027 at 14:00")
    assert "The venue is closed for repairs." in cancelled[ANN][0][2]
    told = [r["detail"] for r in app.store.all("SELECT detail FROM audit WHERE action IN "
                                               "('meeting.move', 'meeting.cancel') ORDER BY id")]
    assert all('"observers_told": 2' in d for d in told)
    assert ANN not in "".join(told)  # the audit log keeps no observer's address

    erase_personal_data(app, m.ref)  # the notices are observers' mail: erased with the rest
    assert set(emails(app, "observer_meeting_moved")) <= {"erased"}


def test_a_notice_not_yet_sent_is_replaced_by_the_next_change(one_place: Clerk) -> None:
    """Moved twice before the outbox runs: only the latest move goes out; a cancellation then
    drops it, and the observer's other unsent messages, in favour of the cancellation."""
    app = one_place
    m = meeting(app)
    request_booking(app, RequestBooking(m.id, 81, "Ann Observer", ANN))
    assert confirm_booking(app, ConfirmBooking(81, email_code(app, ANN))).status == "booked"
    move_meeting(app, m.ref, parse_local("2027-01-21 10:00", app.tz))
    move_meeting(app, m.ref, parse_local("2027-01-28 10:00", app.tz))
    statuses = [(s, subject.rsplit("now ", 1)[1]) for s, subject, _ in
                emails(app, "observer_meeting_moved")[ANN]]
    assert statuses == [("superseded", "Thursday 21 January 2027 at 10:00"),
                        ("queued", "Thursday 28 January 2027 at 10:00")]
    chats = app.store.all("SELECT kind, status FROM chat_outbox WHERE chat_id = 81 ORDER BY id")
    assert chats == [{"kind": "observer_meeting_moved", "status": "superseded"},
                     {"kind": "observer_meeting_moved", "status": "queued"}]

    cancel_meeting(app, m.ref)
    assert [s for s, _, _ in emails(app, "observer_meeting_moved")[ANN]] == ["superseded"] * 2
    assert [s for s, _, _ in emails(app, "booking_confirmed")[ANN]] == ["superseded"]
    assert [s for s, _, _ in emails(app, "observer_meeting_cancelled")[ANN]] == ["queued"]
    chats = app.store.all("SELECT kind, status FROM chat_outbox WHERE chat_id = 81 ORDER BY id")
    assert [c["status"] for c in chats] == ["superseded", "superseded", "queued"]
    assert chats[-1]["kind"] == "observer_meeting_cancelled"
