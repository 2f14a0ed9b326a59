"""The console as a part of ``clerk run``: an aiohttp server on ``[web] listen``, on the same
event loop as the deadline keeper and the mail and chat workers."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from clerk.app import Clerk
from clerk.workers import Worker
from web.app import make_console

log = logging.getLogger("clerk.console")


def workers(app: Clerk) -> list[Worker]:
    """The console's worker when ``[web] listen`` is set, else none."""
    if not app.config.web.listen:
        return []

    async def run(stop: asyncio.Event) -> None:
        runner = web.AppRunner(make_console(app), access_log=None, handle_signals=False)
        await runner.setup()
        settings = app.config.web
        try:
            await web.TCPSite(runner, settings.host, settings.port).start()
        except OSError as exc:
            await runner.cleanup()
            log.error("the console cannot listen on %s: %s", settings.listen, exc.strerror or exc)
            return
        log.info("the console is at %s (listening on %s)", settings.base_url, settings.listen)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    return [Worker("console", run)]
