"""/link cannot be used to find out who sits on a body: the answer to /link and to a code typed
afterwards read the same whether or not the address belongs to a member."""

from __future__ import annotations

import asyncio

from clerk.app import Clerk
from tests.botapi import BotHarness, FakeBotApi, email_code

CAROL = "carol.chowdhury@example.org"  # a member
STRANGER = "someone@elsewhere.example"



def test_link_and_the_code_typed_after_it_read_the_same_for_a_member_and_a_stranger(
    clerk_app: Clerk, api: FakeBotApi
) -> None:
    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            member = await h.say(41, f"/link {CAROL}")
            stranger = await h.say(42, f"/link {STRANGER}")
            assert member.text.replace(CAROL, "ADDRESS") == stranger.text.replace(STRANGER,
                                                                                  "ADDRESS")
            real = email_code(clerk_app, CAROL, "chat_link_code")
            guess = "123456" if real != "123456" else "654321"
            for attempt in range(5):
                to_member = await h.say(41, guess)
                to_stranger = await h.say(42, guess)
                assert to_member.text == to_stranger.text, attempt
            assert "Too many wrong codes" in to_stranger.text
            # the member asks again and links; the stranger, whatever they type, does not
            await h.say(41, f"/link {CAROL}")
            linked = await h.say(41, email_code(clerk_app, CAROL, "chat_link_code"))
            assert "This chat is now linked to Carol Chowdhury" in linked.text

    asyncio.run(scenario())
    assert clerk_app.store.one("SELECT 1 AS x FROM outbox WHERE to_addr = ?", [STRANGER]) is None
    assert clerk_app.store.one("SELECT 1 AS x FROM chat_links WHERE chat_id = 42") is None
    assert clerk_app.store.one("SELECT 1 AS x FROM people WHERE email = ?", [STRANGER]) is None
