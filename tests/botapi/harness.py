"""Running clerk's bot (``bot.worker.TelegramBot``, the same object ``clerk run`` uses) in a test's
event loop against the fake Bot API, with helpers that act as a person in a chat and wait for the
bot's answer. Everything runs on the test's thread, so the in-memory store is shared as is."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import TypeHandler

from bot.worker import TelegramBot
from clerk.app import Clerk
from clerk.config import TelegramSettings
from tests.botapi.server import Call, FakeBotApi

ANSWERS = ("sendMessage", "editMessageText")


def clerk_with_api(app: Clerk, api: FakeBotApi) -> Clerk:
    """The same clerk (store and clock) with ``telegram.api_url`` pointing at the fake server."""
    config = app.config.model_copy(update={"telegram": TelegramSettings(api_url=api.base_url)})
    return Clerk(config=config, store=app.store, clock=app.clock)


class BotHarness:
    """``async with BotHarness(app, api) as h:`` runs the bot until the block ends."""

    def __init__(self, app: Clerk, api: FakeBotApi, *, drain_interval: float = 0.05,
                 timeout: float = 10.0) -> None:
        self.api = api
        self.app = clerk_with_api(app, api)
        self.bot = TelegramBot(self.app, api.token, poll_timeout=1, drain_interval=drain_interval)
        self.timeout = timeout
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.handled: dict[int, float] = {}  # update_id -> when its handling finished
        self.bot.application.add_handler(TypeHandler(Update, self._handled), group=99)

    async def _handled(self, update: Update, context: object) -> None:
        """Runs after the bot's own handlers (and any conversation state change) for an update."""
        self.handled[update.update_id] = time.monotonic()

    async def __aenter__(self) -> BotHarness:
        self._task = asyncio.create_task(self.bot.run(self._stop))
        await self.wait(lambda: self.api.calls_of("getUpdates"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._task is not None
        await asyncio.wait_for(self._task, 15)

    async def wait(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        """Let the bot run until ``predicate()`` is true; returns its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                tail = [(c.method, c.chat_id, c.text[:60]) for c in self.api.calls[-12:]]
                raise AssertionError(f"timed out waiting for the bot; last calls: {tail}")
            await asyncio.sleep(0.005)

    def _answers(self, chat: int, since: float) -> list[Call]:
        return [c for c in self.api.calls if c.method in ANSWERS and c.chat_id == chat
                and c.at >= since and c.status == 200]

    async def say(self, user: int, text: str) -> Call:
        """Type ``text`` in the user's chat; returns the bot's first answer to it."""
        update_id = self.api.send_text(user, text)
        since = self.api.injected[update_id]
        await self.wait(lambda: update_id in self.handled)
        return (await self.wait(lambda: self._answers(user, since)))[0]

    async def tap(self, user: int, message: dict[str, Any], data: str) -> Call:
        """Press a button; returns the bot's answer (the edited or a new message)."""
        update_id, callback_id = self.api.press(user, message, data)
        since = self.api.injected[update_id]
        await self.wait(lambda: update_id in self.handled)
        assert [c for c in self.api.calls_of("answerCallbackQuery")
                if c.params.get("callback_query_id") == callback_id], "the button was not answered"
        return (await self.wait(lambda: self._answers(user, since)))[0]

    async def tap_label(self, user: int, answer: Call, label: str) -> Call:
        """Press the button labelled ``label`` (exactly, or containing it) on the bot's message."""
        message = self.message_of(answer)
        return await self.tap(user, message, button(answer, label))

    def message_of(self, answer: Call) -> dict[str, Any]:
        """The message an answer created or edited, as it is now."""
        result = answer.result
        assert isinstance(result, dict), answer
        return self.api.message(result["chat"]["id"], result["message_id"])


def button(answer: Call, label: str) -> str:
    """The callback data of the button whose label is (or contains) ``label``."""
    for text, data in answer.buttons:
        if text == label:
            return data
    for text, data in answer.buttons:
        if label in text:
            return data
    raise AssertionError(f"no button {label!r} in {answer.buttons}; text: {answer.text!r}")


def email_code(app: Clerk, to_addr: str, kind: str = "booking_code") -> str:
    """The six-digit code in the latest email of ``kind`` queued to ``to_addr``."""
    import re
    from email import message_from_bytes, policy

    row = app.store.one("SELECT raw FROM outbox WHERE kind = ? AND to_addr = ? ORDER BY id DESC "
                        "LIMIT 1", [kind, to_addr.lower()])
    assert row is not None, f"no {kind} email to {to_addr}"
    body = message_from_bytes(row["raw"], policy=policy.default).get_body(("plain",))
    assert body is not None
    found = re.search(r"^\s+(\d{6})\s*$", body.get_content(), re.M)
    assert found, body.get_content()
    return found.group(1)


async def book(h: BotHarness, user: int, name: str, email: str, meeting_id: int) -> Call:
    """A whole booking conversation from the meeting button to the code; returns the last answer."""
    start = await h.say(user, "/book")
    await h.tap(user, h.message_of(start), f"book:{meeting_id}")
    await h.say(user, name)
    confirm = await h.say(user, email)
    await h.tap_label(user, confirm, "Confirm")
    return await h.say(user, email_code(h.app, email))
