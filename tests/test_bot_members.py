"""Members in chat, over the real HTTP stack against the fake Bot API: linking a chat by an emailed
code, answering an invitation and voting on a ballot with buttons (through the same services as
email, so the result shows on the email side), a substitute named in chat, /papers, /unlink, and a
200-member fan-out that sends each message once within Telegram's flood limits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.invitations import invite
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import current_tally, latest_votes, open_ballot
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.people.membership import import_members, list_members
from clerk.records.views import meeting_view
from clerk.times import parse_local, to_iso
from tests.botapi import BotHarness, FakeBotApi, button, email_code

ALICE = "alice.ashworth@example.org"  # Carers Partnership chair, a carer
CAROL = "carol.chowdhury@example.org"



def meeting(app: Clerk, when: str = "2027-01-14 10:00") -> Meeting:
    return add_meeting(app, AddMeeting("carers", parse_local(when, app.tz), venue="County Hall"))


async def link(h: BotHarness, user: int, email: str) -> str:
    sent = await h.say(user, f"/link {email}")
    assert f"If {email} belongs to a member" in sent.text
    linked = await h.say(user, email_code(h.app, email, "chat_link_code"))
    return linked.text


async def card(h: BotHarness, user: int, words: str) -> tuple[dict, object]:
    """The latest message the bot sent to this chat containing ``words``."""
    found = await h.wait(lambda: [c for c in h.api.calls_of("sendMessage", user)
                                  if words in c.text])
    return h.message_of(found[-1]), found[-1]


def test_a_member_links_answers_an_invitation_and_names_a_substitute(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = meeting(clerk_app)

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            not_linked = await h.say(41, "/papers")
            assert "this chat is not linked to a member" in not_linked.text
            nobody = await h.say(42, "/link someone@elsewhere.example")
            assert "If someone@elsewhere.example belongs to a member" in nobody.text  # same words
            assert clerk_app.store.one("SELECT 1 AS x FROM outbox WHERE to_addr = "
                                       "'someone@elsewhere.example'") is None
            wrong = await h.say(41, f"/link {CAROL}")
            wrong = await h.say(41, "999999" if email_code(clerk_app, CAROL, "chat_link_code")
                                != "999999" else "888888")
            assert "That code is not right: 4 more tries" in wrong.text
            linked = await h.say(41, email_code(clerk_app, CAROL, "chat_link_code"))
            assert "This chat is now linked to Carol Chowdhury (Carers Partnership)" in linked.text

            invite(h.app, m.ref)  # the email invitation; a linked member gets it in chat too
            message, call = await card(h, 41, "Please answer with a button")
            assert "Worcestershire Carers Partnership\nThursday 14 January 2027 at 10:00" \
                in message["text"]
            assert [label for label, _ in call.buttons] == ["Attending", "Apologies",
                                                            "Send a substitute"]
            answered = await h.tap(41, message, button(call, "Attending"))
            assert "✓ Recorded: recorded as attending" in answered.text
            assert "Your answer: you will attend" in answered.text
            again = await h.tap(41, message, button(call, "Apologies"))
            assert "Your answer: you have sent apologies" in again.text

            ask = await h.tap(41, message, button(call, "Send a substitute"))
            assert "Who will come in your place" in ask.text
            muddled = await h.say(41, "my colleague")
            assert "name and email address" in muddled.text
            named = await h.say(41, "Sue Stand sue.stand@example.org")
            assert "will attend in your place" in named.text
            assert "Your answer: apologies; Sue Stand will come in your place" in named.text

            papers = await h.say(41, "/papers")
            assert "Worcestershire Carers Partnership, Thursday 14 January 2027" in papers.text
            gone = await h.say(41, "/unlink")
            assert "no longer linked to Carol Chowdhury" in gone.text
            after = await h.tap(41, message, button(call, "Attending"))
            assert "not linked to a member" in after.text

    asyncio.run(scenario())
    view = meeting_view(clerk_app, m.ref)
    carol = next(r for r in view["replies"] if r["email"] == CAROL)
    assert (carol["reply"], carol["substitute_email"]) == ("substitute", "sue.stand@example.org")
    inv = clerk_app.store.one("SELECT i.channel FROM invitations i JOIN people p ON p.id = "
                              "i.person_id WHERE p.email = ? AND i.meeting_id = ?", [CAROL, m.id])
    assert inv["channel"] == "telegram"
    replies = clerk_app.store.all("SELECT channel, evidence FROM audit WHERE action = "
                                  "'reply.recorded' AND actor = ?", [CAROL])
    assert len(replies) == 3 and all(r["channel"] == "telegram" for r in replies)
    assert all('"callback_query_id"' in r["evidence"] or '"message_id"' in r["evidence"]
               for r in replies)
    assert clerk_app.store.one("SELECT 1 AS x FROM outbox WHERE kind = 'substitute_invitation' "
                               "AND to_addr = 'sue.stand@example.org'")


@pytest.fixture
def inquorate(clerk_app: Clerk, clock: FakeClock) -> str:
    """A Carers Partnership meeting with two carers present and two provisional decisions."""
    ref = meeting(clerk_app).ref  # added while it is ahead
    clock.set(datetime(2027, 1, 14, 10, 0, tzinfo=UTC))  # the meeting has begun
    carers = [r["email"] for r in list_members(clerk_app, "carers") if r["carer"]]
    record_attendance(clerk_app, RecordAttendance(ref, tuple(carers[:2])))
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    add_decision(clerk_app, AddDecision(ref, "Adopt the 2027 carers action plan"))
    add_decision(clerk_app, AddDecision(ref, "Hold the summer meeting online"))
    return ref


def test_a_linked_member_votes_with_buttons_and_the_email_side_sees_it(
    clerk_app: Clerk, clock: FakeClock, api: FakeBotApi, inquorate: str
) -> None:
    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            assert "Carol Chowdhury" in await link(h, 51, CAROL)
            ballot = open_ballot(h.app, inquorate)
            message, call = await card(h, 51, "Your vote please")
            assert "1. Adopt the 2027 carers action plan" in message["text"]
            assert "Send my vote" not in [label for label, _ in call.buttons]
            step = await h.tap(51, message, button(call, "1: Approve"))
            assert "1. Adopt the 2027 carers action plan – Approve" in step.text
            step = await h.tap(51, message, button(step, "2: Reject"))
            assert "2. Hold the summer meeting online – Reject" in step.text
            send = button(step, "Send my vote")
            done = await h.tap(51, message, send)
            assert "✓ Vote recorded. Receipt" in done.text
            assert "Your vote counted so far: 1 Approve, 2 Reject" in done.text
            twice = await h.tap(51, message, send)  # a double tap on the same card
            assert "already counted" in twice.text
            changed = await h.tap(51, message, button(done, "Approve all"))
            changed = await h.tap(51, message, button(changed, "Send my vote"))
            assert "✓ Vote changed" in changed.text

            clock.set(ballot.closes_at)  # the vote has closed: the button no longer applies
            stale = await h.tap(51, message, button(changed, "Send my vote"))
            assert "This button no longer applies: this vote has closed" in stale.text
            assert stale.buttons == []

    asyncio.run(scenario())
    ref = f"{inquorate}-vote"
    assert latest_votes(clerk_app.store.db, 1)[CAROL] == {1: "approve", 2: "approve"}
    votes = clerk_app.store.all("SELECT channel FROM votes v JOIN people p ON p.id = v.person_id "
                                "WHERE p.email = ?", [CAROL])
    assert [v["channel"] for v in votes] == ["telegram", "telegram"]  # the double tap: one vote
    receipts = clerk_app.store.all("SELECT 1 FROM outbox WHERE kind = 'ballot_receipt' AND "
                                   "to_addr = ?", [CAROL])
    assert len(receipts) == 2  # the email side sends its receipt for each vote
    from clerk.ballots.ratification import get_ballot

    assert CAROL in current_tally(clerk_app, get_ballot(clerk_app, ref)).voted


def test_a_reminder_to_200_linked_members_sends_each_message_once(
    clerk_app: Clerk, clock: FakeClock
) -> None:
    rows = ["body,name,email,role"] + [f"carers,Member {i:03d},member{i:03d}@example.org,officer"
                                       for i in range(200)]
    assert import_members(clerk_app, "\n".join(rows) + "\n").ok
    now = to_iso(clock.now())
    with clerk_app.store.write() as db:
        for i, person in enumerate(db.query("SELECT id FROM people WHERE email LIKE "
                                            "'member%@example.org' ORDER BY email")):
            db["chat_links"].insert({"chat_id": 10_000 + i, "person_id": person["id"],
                                     "linked_at": now})
    m = meeting(clerk_app)
    with FakeBotApi(flood_per_second=30) as api:  # Telegram's limit, as a token bucket

        async def scenario() -> None:
            async with BotHarness(clerk_app, api) as h:
                assert len(invite(h.app, m.ref).queued) == 220
                await h.wait(lambda: len(api.calls_of("sendMessage")) >= 200, timeout=30)
                await asyncio.sleep(0.5)

        asyncio.run(scenario())
        sent = api.calls_of("sendMessage")
        refused = [c for c in api.calls if c.status == 429]
    chats = [c.chat_id for c in sent]
    assert len(chats) == 200 == len(set(chats))  # each linked member once
    assert not refused, f"{len(refused)} messages hit the flood limit"
    status = clerk_app.store.all("SELECT status, COUNT(*) AS n FROM chat_outbox GROUP BY status")
    assert status == [{"status": "sent", "n": 200}]
    first, last = sent[0].at, sent[-1].at
    assert last - first >= (200 - 30) / 30 * 0.9  # paced, not a burst
