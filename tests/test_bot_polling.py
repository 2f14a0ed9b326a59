"""How the bot fetches and answers updates (``bot/polling.py``, ``bot/answers.py``), over the real
HTTP stack against the fake Bot API: pressed buttons are answered before any work is done,
Telegram being down or flooded is waited out, a refused token stops the bot (and only the bot),
an update that cannot be read is logged and skipped while the rest of its batch is handled, and
stopping marks what was handled as read."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.answers import AnswerFirst
from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.times import parse_local, to_iso
from tests.botapi import BotHarness, FakeBotApi, button


def linked_members(app: Clerk, count: int) -> list[int]:
    """The first ``count`` Carers Partnership members, each with a linked chat; their chat ids."""
    people = app.store.all("SELECT p.id FROM people p JOIN memberships m ON m.person_id = p.id "
                           "WHERE m.body = 'carers' ORDER BY p.id LIMIT ?", [count])
    assert len(people) == count
    with app.store.write() as db:
        for i, person in enumerate(people):
            db["chat_links"].insert({"chat_id": 50_000 + i, "person_id": person["id"],
                                     "linked_at": to_iso(app.clock.now())})
    return [50_000 + i for i in range(count)]


def test_pressed_buttons_are_all_answered_before_any_reply_is_recorded(clerk_app: Clerk,
                                                                       api: FakeBotApi) -> None:
    chats = linked_members(clerk_app, 12)
    meeting = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                      clerk_app.tz)))

    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            invite(h.app, meeting.ref)
            cards = await h.wait(lambda: (lambda c: c if len(c) == len(chats) else None)(
                [c for c in api.calls_of("sendMessage") if c.chat_id in chats]))
            mark = len(api.calls)
            api.press_all([(c.chat_id, h.message_of(c), button(c, "Attending")) for c in cards])
            await h.wait(lambda: len([c for c in api.calls[mark:]
                                      if c.method == "editMessageText"]) == len(chats))
            after = [c.method for c in api.calls[mark:] if c.method != "getUpdates"]
            assert after[:len(chats)] == ["answerCallbackQuery"] * len(chats)
            assert sorted(after[len(chats):]) == ["editMessageText"] * len(chats)

    asyncio.run(scenario())
    replies = clerk_app.store.all("SELECT reply, channel FROM invitations WHERE meeting_id = ? "
                                  "AND channel = 'telegram'", [meeting.id])
    assert [r["reply"] for r in replies] == ["attend"] * len(chats)


def test_telegram_down_then_back_and_a_flood_wait_are_waited_out(
    clerk_app: Clerk, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            # the poll in progress delivers the first message; the next two polls fail, and the
            # second message is answered once Telegram is back
            api.fail("getUpdates", 2, 502, "Bad Gateway")
            assert "clerk" in (await h.say(61, "/start")).text.lower()
            assert (await h.say(61, "/meetings")).text
            api.fail("getUpdates", 1, 429, "Too Many Requests: retry after 1", retry_after=1)
            assert (await h.say(61, "/help")).text
            assert (await h.say(61, "/mybookings")).text

    with caplog.at_level(logging.INFO, logger="clerk.bot"):
        asyncio.run(scenario())
    failures = [c for c in api.calls_of("getUpdates", ok_only=False) if c.status != 200]
    assert [c.status for c in failures] == [502, 502, 429]
    # two failed polls: one line when it went down, one when it was back
    down = [r.getMessage() for r in caplog.records if "Bot API" in r.getMessage()]
    assert len(down) == 2, down
    assert down[0].startswith("the Telegram Bot API at 127.0.0.1:")
    assert "is down: Bad Gateway; the bot keeps trying" in down[0]
    assert "is back after" in down[1]
    assert api.token not in caplog.text
    assert len(api.calls_of("sendMessage", 61)) == 4  # each answered once


def test_a_refused_token_stops_the_bot_with_a_message(clerk_app: Clerk, api: FakeBotApi,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        h = BotHarness(clerk_app, api)
        stop = asyncio.Event()
        api.fail("getUpdates", 1, 401, "Unauthorized")
        # the worker returns by itself; clerk run's stop event is not touched
        await asyncio.wait_for(h.bot.run(stop), 15)
        assert not stop.is_set()

    with caplog.at_level(logging.ERROR, logger="clerk.bot"):
        asyncio.run(scenario())
    assert "the Telegram token was refused; the bot stops polling" in caplog.text


def test_an_update_that_cannot_be_read_is_logged_and_the_rest_of_its_batch_handled(
    clerk_app: Clerk, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            api.push_raw({"message": {"message_id": 1, "text": "no chat, no date"}})
            reply = await h.say(62, "/start")
            assert "clerk" in reply.text.lower()

    with caplog.at_level(logging.ERROR, logger="clerk.bot"):
        asyncio.run(scenario())
    assert "from Telegram (with message) could not be read and is skipped" in caplog.text
    assert "no chat, no date" not in caplog.text  # a person's message is not logged


def test_stopping_marks_the_handled_updates_read(clerk_app: Clerk, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with BotHarness(clerk_app, api) as h:
            await h.say(63, "/start")
            last = max(api.injected)

        final = api.calls_of("getUpdates")[-1]
        assert int(final.params["offset"]) == last + 1
        assert float(final.params["timeout"]) == 0

    asyncio.run(scenario())


def test_turns_are_given_in_order_and_only_when_no_answer_is_in_flight() -> None:
    async def scenario() -> list[str]:
        answers = AnswerFirst(8)
        order: list[str] = []
        answers.in_flight = 1  # an answer is on its way

        async def work(name: str) -> None:
            await answers.turn()
            order.append(name)

        tasks = [asyncio.create_task(work(n)) for n in ("first", "second", "third")]
        await asyncio.sleep(0.01)
        assert order == []  # nothing runs while a button waits for its answer
        answers.in_flight = 0
        answers._schedule()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["first", "second", "third"]



def test_every_pressed_button_is_answered_however_the_batches_fall() -> None:
    """Batches arriving while the senders are finishing are still answered, each button once."""

    class Request:
        def __init__(self) -> None:
            self.ids: list[str] = []

        async def post(self, url: str, **timeouts: float) -> bool:
            await asyncio.sleep(0)
            self.ids.append(url.rsplit("=", 1)[1])
            return True

    class StubBot:
        base_url = "http://127.0.0.1:1/botTOKEN"
        request = Request()

    async def settle(answers: AnswerFirst) -> None:
        for _ in range(200):
            if not answers.in_flight:
                return
            await asyncio.sleep(0.001)
        raise AssertionError("a pressed button was left unanswered")

    async def scenario() -> list[str]:
        answers = AnswerFirst(8, answerers=1)
        bot: Any = StubBot()
        # a batch comes just as the sender finds the queue empty (one button, two passes later)
        answers.answer_buttons(bot, [{"update_id": 1, "callback_query": {"id": "a"}}])
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        answers.answer_buttons(bot, [{"update_id": 2, "callback_query": {"id": "b"}}])
        await settle(answers)
        for batch in range(30):
            answers.answer_buttons(bot, [{"update_id": i, "callback_query": {"id": f"{batch}-{i}"}}
                                         for i in range(batch % 4)])
            for _ in range(batch % 3):
                await asyncio.sleep(0)
        await settle(answers)
        return StubBot.request.ids

    ids = asyncio.run(scenario())
    assert sorted(ids) == sorted([*(f"{b}-{i}" for b in range(30) for i in range(b % 4)), "a", "b"])


def test_an_answer_that_hangs_does_not_hold_up_the_reply(clerk_app: Clerk, api: FakeBotApi,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    [chat] = linked_members(clerk_app, 1)
    meeting = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                      clerk_app.tz)))

    async def scenario() -> float:
        async with BotHarness(clerk_app, api, timeout=15) as h:
            invite(h.app, meeting.ref)
            [card] = await h.wait(lambda: api.calls_of("sendMessage", chat))
            api.hold("answerCallbackQuery", 30)  # Telegram never answers this one in time
            pressed = asyncio.get_running_loop().time()
            api.press(chat, h.message_of(card), button(card, "Attending"))
            [edited] = await h.wait(lambda: api.calls_of("editMessageText", chat))
            assert "Recorded: recorded as attending" in edited.text
            return asyncio.get_running_loop().time() - pressed

    with caplog.at_level(logging.WARNING, logger="clerk.bot"):
        took = asyncio.run(scenario())
    assert took < 8  # the answer is given up after 3 s (plus the write allowance), not 30
    assert "could not answer a pressed button" in caplog.text


def test_telegram_out_of_reach_at_start_is_logged_once_and_once_when_back(
    clerk_app: Clerk, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        h = BotHarness(clerk_app, api)
        h.bot.retry_start = 0.05
        api.fail("getMe", 4, 502, "Bad Gateway")
        async with h:
            assert "clerk" in (await h.say(63, "/start")).text.lower()

    with caplog.at_level(logging.INFO, logger="clerk.bot"):
        asyncio.run(scenario())
    assert len([c for c in api.calls_of("getMe", ok_only=False) if c.status == 502]) == 4
    lines = [r.getMessage() for r in caplog.records if "Bot API" in r.getMessage()]
    assert len(lines) == 2, lines  # not a line per attempt
    assert "is down: Bad Gateway; the bot starts when it can be reached" in lines[0]
    assert "is back after" in lines[1]
