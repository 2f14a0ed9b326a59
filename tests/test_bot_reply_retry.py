"""A reply that Telegram refuses because it is briefly down (502 Bad Gateway) is not lost: it is
kept in the chat outbox and sent when the Bot API answers again, once."""

from __future__ import annotations

import asyncio

from clerk.app import Clerk
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.times import parse_local
from tests.botapi import BotHarness, FakeBotApi, email_code


def test_a_reply_refused_with_502_is_sent_when_telegram_is_back_once(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    m = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                          venue="County Hall"))

    def listed() -> list:
        return [c for c in api.calls_of("sendMessage", 901) if "Upcoming" in c.text
                or "Worcestershire Carers Partnership" in c.text]

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            api.fail("sendMessage", 1)  # Telegram's gateway is down for one request
            update_id = api.send_text(901, "/meetings")
            await h.wait(lambda: update_id in h.handled)
            sent = await h.wait(listed)
            assert "Thursday 14 January 2027" in sent[0].text
            assert [d for _l, d in sent[0].buttons] == [f"book:{m.id}"]  # with its buttons
            await asyncio.sleep(0.5)  # a few more passes of the outbox: nothing more is sent
            assert len(listed()) == 1
            assert not [c for c in api.calls_of("sendMessage", 901)
                        if "went wrong" in c.text]  # no apology for an error that was not one

            # the last step of a booking too: the code is accepted, and the answer not lost
            start = await h.say(902, "/book")
            await h.tap(902, h.message_of(start), f"book:{m.id}")
            await h.say(902, "Ann Observer")
            confirm = await h.say(902, "ann@example.net")
            await h.tap_label(902, confirm, "Confirm")
            api.fail("sendMessage", 1)
            done = await h.say(902, email_code(clerk_app, "ann@example.net"))
            assert "Your place is booked" in done.text
            await asyncio.sleep(0.3)
            assert len([c for c in api.calls_of("sendMessage", 902)
                        if "Your place is booked" in c.text]) == 1

            # an edit (the answer to a pressed button) refused the same way comes as a message
            menu = await h.say(902, "/cancel")
            api.fail("editMessageText", 1)
            ask = await h.tap_label(902, menu, "Cancel: Carers Partnership")
            assert ask.method == "sendMessage" and "Cancel your place" in ask.text
            assert [label for label, _ in ask.buttons] == ["Yes, cancel it", "No, keep it"]
            await asyncio.sleep(0.3)
            assert len([c for c in api.calls_of("sendMessage", 902)
                        if "Cancel your place" in c.text]) == 1

    asyncio.run(scenario())
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM chat_outbox WHERE status != 'sent'")["n"] == 0
