"""A fake Telegram Bot API on loopback (``FakeBotApi``) and a harness that runs clerk's bot
against it inside a test's event loop (``BotHarness``)."""

from tests.botapi.harness import BotHarness, book, button, clerk_with_api, email_code
from tests.botapi.server import TOKEN, Call, FakeBotApi

__all__ = ["TOKEN", "BotHarness", "Call", "FakeBotApi", "book", "button", "clerk_with_api", "email_code"]
