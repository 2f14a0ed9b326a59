"""Names and free text typed into the chat are stored without control characters or Unicode's
bidirectional overrides: a name with U+202E would display reversed in the facilitator's list and
in clerk's emails, and a line break in a name would start a line of clerk's own message."""

from __future__ import annotations

import asyncio

from clerk.app import Clerk
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.times import parse_local
from tests.botapi import BotHarness, FakeBotApi, book, email_code

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
PDF = "\u202c"  # POP DIRECTIONAL FORMATTING



def meeting(app: Clerk) -> Meeting:
    return add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                       venue="County Hall"))


def test_a_name_with_a_bidi_override_is_stored_and_mailed_as_it_reads(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = meeting(clerk_app)

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            done = await book(h, 601, f"Ann {RLO}revresbO{PDF}\u2066", "ann@example.net", m.id)
            assert "Your place is booked, Ann revresbO" in done.text
            assert RLO not in done.text

    asyncio.run(scenario())
    row = clerk_app.store.one("SELECT name FROM bookings WHERE email = 'ann@example.net'")
    assert row["name"] == "Ann revresbO"
    mails = clerk_app.store.all("SELECT raw FROM outbox WHERE to_addr = 'ann@example.net'")
    assert mails and not any(RLO.encode() in r["raw"] or b"\\u202e" in r["raw"].lower()
                             for r in mails)


def test_a_question_and_its_askers_name_are_stored_without_controls(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = meeting(clerk_app)

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            start = await h.say(602, "/ask")
            await h.tap(602, h.message_of(start), f"ask:{m.id}")
            await h.say(602, f"Bob{RLO} Briggs\x07")
            done = await h.say(602, f"Will the {RLO}budget\u0007 be discussed?\nAnd when?\x00")
            assert "Bob Briggs" in done.text

    asyncio.run(scenario())
    row = clerk_app.store.one("SELECT name, text FROM questions")
    assert row["name"] == "Bob Briggs"
    assert row["text"] == "Will the budget be discussed?\nAnd when?"
    mail = clerk_app.store.one("SELECT raw FROM outbox WHERE kind = 'observer_question'")
    assert RLO.encode() not in mail["raw"] and b"\x1b" not in mail["raw"]


def test_a_substitute_named_in_chat_is_stored_without_controls(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    from clerk.attendance.invitations import invite
    from tests.botapi import button

    m = meeting(clerk_app)
    carol = "carol.chowdhury@example.org"

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            await h.say(41, f"/link {carol}")
            await h.say(41, email_code(clerk_app, carol, "chat_link_code"))
            invite(h.app, m.ref)
            found = await h.wait(lambda: [c for c in api.calls_of("sendMessage", 41)
                                          if "Please answer with a button" in c.text])
            await h.tap(41, h.message_of(found[-1]), button(found[-1], "Send a substitute"))
            named = await h.say(41, f"Sue {RLO}dnatS sue.stand@example.org")
            assert "will attend in your place" in named.text

    asyncio.run(scenario())
    names = [r["name"] for r in clerk_app.store.all(
        "SELECT name FROM people WHERE email = 'sue.stand@example.org'")]
    assert names == ["Sue dnatS"]
