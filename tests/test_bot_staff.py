"""The facilitator and the chair in chat: /status shows replies, the quorum forecast and observers;
the chair approves the agenda with a button (through the agenda service, as an emailed approval);
other members are refused; an observer's /ask reaches the facilitator and the chair by email."""

from __future__ import annotations

import asyncio

from clerk.agenda.items import read_agenda
from clerk.app import Clerk
from clerk.attendance.replies import RecordReply, record_reply
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.times import parse_local
from tests.botapi import BotHarness, FakeBotApi, book, button, email_code

FACILITATOR = "facilitator@carers.example.org"  # in the configuration, not a member
ALICE = "alice.ashworth@example.org"  # the Chair
DEV = "dev.davies@example.org"  # a member holding no office



async def link(h: BotHarness, user: int, email: str) -> str:
    await h.say(user, f"/link {email}")
    return (await h.say(user, email_code(h.app, email, "chat_link_code"))).text


def test_status_for_the_facilitator_and_agenda_approval_by_the_chair(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                          venue="County Hall"))
    record_reply(clerk_app, RecordReply(m.ref, ALICE, "attend"))

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            await book(h, 90, "Olive Observer", "olive@example.net", m.id)
            assert "linked to Facilitator (Carers Partnership)" in await link(h, 91, FACILITATOR)
            status = await h.say(91, f"/status {m.ref}")
            assert "Replies: 1 attending, 0 apologies, 0 sending a substitute, 19 not " \
                "replied." in status.text
            assert "Quorum: not yet quorate" in status.text
            assert "Observers: 1 of 15 places taken" in status.text
            assert "Agenda (" in status.text and "awaiting the chair's approval" in status.text
            assert status.buttons == []  # the facilitator does not approve the agenda
            menu = await h.say(91, "/status")
            picked = await h.tap(91, h.message_of(menu), button(menu, "Carers Partnership"))
            assert "Replies: 1 attending" in picked.text

            assert "linked to Alice Ashworth" in await link(h, 92, ALICE)
            chair = await h.say(92, f"/status {m.ref}")
            approved = await h.tap_label(92, chair, "Approve the agenda")
            assert "✓ Agenda approved by Alice Ashworth" in approved.text
            assert "approved." in approved.text and approved.buttons == []
            again = await h.tap(92, h.message_of(chair), button(chair, "Approve the agenda"))
            assert "Already done" in again.text

            assert "linked to Dev Davies" in await link(h, 93, DEV)
            refused = await h.say(93, f"/status {m.ref}")
            assert "Sorry: only the facilitator and the chair of the Carers Partnership" \
                in refused.text
            crafted = await h.tap(93, h.message_of(refused), f"agenda:{m.id}:approve")
            assert "This button no longer applies: only the Chair may agree the agenda" \
                in crafted.text
            unknown = await h.say(91, "/status carers-2031-01-01")
            assert 'there is no meeting "carers-2031-01-01"' in unknown.text

    asyncio.run(scenario())
    agenda = read_agenda(clerk_app, clerk_app.store.db, m)
    assert agenda.approved and agenda.approved_by.startswith("Alice Ashworth")
    approval = clerk_app.store.one("SELECT channel, evidence FROM agenda_approvals WHERE "
                                   "outcome = 'approved'")
    assert approval["channel"] == "telegram" and "callback_query_id" in approval["evidence"]


def test_an_observers_question_goes_to_the_facilitator_and_the_chair(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                          venue="County Hall"))

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            start = await h.say(95, "/ask")
            assert "raised through a Partnership Member" in start.text
            name = await h.tap(95, h.message_of(start), f"ask:{m.id}")
            assert "What is your name?" in name.text
            await h.say(95, "Quinn Questioner")
            short = await h.say(95, "Why?")
            assert "please write your question in a sentence" in short.text.lower()
            done = await h.say(95, "Will the respite budget for 2027 be discussed?")
            assert "passed to the facilitator and the chair" in done.text
            assert "raised through a Partnership Member" in done.text

    asyncio.run(scenario())
    mails = clerk_app.store.all("SELECT to_addr, raw FROM outbox WHERE kind = 'observer_question' "
                                "ORDER BY to_addr")
    assert [r["to_addr"] for r in mails] == [ALICE, FACILITATOR]
    text = mails[0]["raw"].decode()
    assert "Quinn Questioner, an observer" in text
    assert "> Will the respite budget for 2027 be discussed?" in text
