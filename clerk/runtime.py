"""``clerk run``: one asyncio process (on uvloop where installed) holding the deadline keeper,
the outbox sender, the inbox reader and (when a token is configured) the Telegram bot, stopped
cleanly by Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from clerk.app import Clerk
from clerk.config import secret
from clerk.lock import RunLock

log = logging.getLogger("clerk")


@dataclass(frozen=True)
class Worker:
    """A long-running part of the service: ``run(stop)`` returns when ``stop`` is set."""

    name: str
    run: Callable[[asyncio.Event], Coroutine[Any, Any, None]]
    once: Callable[[], Coroutine[Any, Any, None]] | None = None


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")
    for noisy in ("apscheduler", "aiohttp", "telegram", "aiosmtplib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def workers_for(app: Clerk) -> list[Worker]:
    """The adapters this configuration asks for (each module decides if it is enabled)."""
    found: list[Worker] = []
    modules = ["mail.worker"]
    if secret(app.config.telegram.token_env):  # python-telegram-bot is only loaded when needed
        modules.append("bot.worker")
    for module_name in modules:
        try:
            module = __import__(module_name, fromlist=["workers"])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found.extend(module.workers(app))
    return found


async def serve(app: Clerk, stop: asyncio.Event, *, once: bool = False) -> None:
    """Run until ``stop`` is set (or one round with ``once``)."""
    from zoneinfo import ZoneInfo

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from scheduler.keeper import DeadlineKeeper

    scheduler = AsyncIOScheduler(timezone=ZoneInfo(app.config.clerk.timezone))
    workers = workers_for(app)
    inbox = next((w.once for w in workers if w.name == "inbox"), None)
    keeper = DeadlineKeeper(app, scheduler, read_inbox=inbox)
    if once:
        for done in await keeper.run_due_async():
            log.info("ran %s for %s: %s", done.job.kind, done.job.subject_ref, done.outcome)
        for worker in workers:
            if worker.once:
                await worker.once()
        return
    scheduler.start()
    ran = await keeper.start_async()
    log.info("clerk is running: %d bodies, %d deadline(s) caught up, %d planned in the next "
             "two weeks; %s", len(app.config.bodies), len(ran),
             len([j for j in scheduler.get_jobs() if j.id.startswith("deadline:")]),
             ", ".join(w.name for w in workers) or "no mail or bot workers")
    for job in keeper.pending()[:5]:
        log.info("next: %s, %s (%s)", job.at.astimezone(app.tz).strftime("%a %d %b %Y %H:%M"),
                 job.what, job.subject_ref)
    tasks = [asyncio.create_task(w.run(stop), name=w.name) for w in workers]
    try:
        await stop.wait()
    finally:
        log.info("stopping: finishing the work in hand")
        scheduler.shutdown(wait=False)
        await asyncio.gather(*tasks, return_exceptions=True)
        log.info("stopped")


def run_service(app: Clerk, *, once: bool = False) -> None:
    """Take the lock, then serve until Ctrl-C or SIGTERM."""
    configure_logging()
    with RunLock(app.config.database_path):
        gc.freeze()  # what is loaded by now lives as long as the process: out of the collector
        run_loop(_main(app, once))


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed (Linux and macOS: a quarter less CPU per
    network request than asyncio's own loop, which is what the bot spends its time on under a
    burst of button presses), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


async def _main(app: Clerk, once: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, stop, once=once)
