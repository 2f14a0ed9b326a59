"""``clerk run``: one asyncio process (on uvloop where installed) holding the deadline keeper,
the outbox sender, the inbox reader and (when a token is configured) the Telegram bot, stopped
cleanly by Ctrl-C or SIGTERM.

Stopping: the signal sets ``stop``; the scheduler stops; every worker finishes the message in
hand and returns (the sender and the inbox reader look at ``stop`` between messages). A worker
still busy after :data:`STOP_GRACE` seconds is cancelled (a cancelled send puts its message back
in the queue), so the process exits within about five seconds whatever is queued; what was not
sent goes out when clerk runs again. A second signal cancels at once."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Coroutine
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from clerk.app import Clerk
from clerk.config import secret
from clerk.lock import RunLock
from clerk.log_format import LogFormat
from clerk.log_setup import configure_logging
from clerk.outbox import chat as chat_outbox
from clerk.outbox import queued_count
from clerk.workers import Worker
from mail import worker as mail_worker
from scheduler.keeper import DeadlineKeeper

log = logging.getLogger("clerk")

#: How long the workers get to finish the message in hand once stopped, then how long a
#: cancelled worker gets to tidy up (close its connection): together well inside systemd's stop
#: timeout, and inside the five seconds clerk promises.
STOP_GRACE = 3.0
CANCEL_GRACE = 1.0


def workers_for(app: Clerk) -> list[Worker]:
    """The adapters this configuration asks for: the mail workers, the console when ``[web]
    listen`` is set, and the bot's when a token is configured (python-telegram-bot is only loaded
    then)."""
    found = mail_worker.workers(app)
    if app.config.web.listen:  # aiohttp's server (about 11 MB) is loaded only then
        from web import worker as web_worker

        found.extend(web_worker.workers(app))
    if secret(app.config.telegram.token_env):
        from bot import worker as bot_worker

        found.extend(bot_worker.workers(app))
    return found


async def serve(app: Clerk, stop: asyncio.Event, *, once: bool = False,
                hurry: asyncio.Event | None = None, grace: float = STOP_GRACE,
                cancel_grace: float = CANCEL_GRACE) -> None:
    """Run until ``stop`` is set (or one round with ``once``); then give the workers ``grace``
    seconds to finish the message in hand (none once ``hurry`` is set), and cancel the rest."""
    scheduler = AsyncIOScheduler(timezone=ZoneInfo(app.config.clerk.timezone))
    workers = workers_for(app)
    inbox = next((w.read_to_end for w in workers if w.read_to_end is not None), None)
    keeper = DeadlineKeeper(app, scheduler, read_inbox=inbox)
    if once:
        await _once(app, keeper, workers, stop, hurry, grace, cancel_grace)
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
        stop.set()  # also when serve itself is cancelled
        log.info("stopping: finishing the message in hand (at most %g s)", grace)
        scheduler.shutdown(wait=False)
        await _finish(tasks, grace, cancel_grace, hurry)
        log.info("stopped: %s", _left_over(app))


async def _once(app: Clerk, keeper: DeadlineKeeper, workers: list[Worker], stop: asyncio.Event,
                hurry: asyncio.Event | None, grace: float, cancel_grace: float) -> None:
    """One round (``clerk run --once``); a stop signal cuts it short as it does the service."""

    async def round_() -> None:
        await keeper.run_due_async()  # each deadline run is logged as it runs
        for worker in workers:
            if stop.is_set():
                break
            if worker.once_until:
                await worker.once_until(stop)
            elif worker.once:
                await worker.once()

    task = asyncio.create_task(round_(), name="one round")
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([task, stopping], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if task.done():
        task.result()  # an error in the round is the command's error
        return
    log.info("stopping: finishing the message in hand (at most %g s)", grace)
    await _finish([task], grace, cancel_grace, hurry)
    log.info("stopped: %s", _left_over(app))


async def _finish(tasks: list[asyncio.Task[None]], grace: float, cancel_grace: float,
                  hurry: asyncio.Event | None) -> None:
    """Wait up to ``grace`` seconds for the workers (less if ``hurry`` is set), then cancel
    those still busy and give them ``cancel_grace`` seconds to close their connections."""
    if not tasks:
        return
    waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(asyncio.wait(tasks))]
    if hurry is not None:
        waiters.append(asyncio.ensure_future(hurry.wait()))
    await asyncio.wait(waiters, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    busy = [t for t in tasks if not t.done()]
    for task in busy:
        log.warning("%s did not finish within %g s; cancelled", task.get_name(), grace)
        task.cancel()
    if busy:
        await asyncio.wait(busy, timeout=cancel_grace)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("%s failed: %s", task.get_name(), exc, exc_info=exc)


def _left_over(app: Clerk) -> str:
    """What is still waiting to go out (emails and chat messages), in words, for the last line
    of the log."""
    try:
        emails = queued_count(app)
        chat = chat_outbox.counts(app)
    except Exception:  # the database may be what failed: the last line must still be written
        log.debug("could not count the outbox", exc_info=True)
        return "the outbox could not be counted"
    chats = chat.get("queued", 0) + chat.get("sending", 0)
    parts = [f"{n} {word}{'s' if n != 1 else ''}"
             for n, word in ((emails, "email"), (chats, "chat message")) if n]
    if not parts:
        return "nothing is waiting in the outbox"
    return (f"{' and '.join(parts)} still queued; "
            f"{'they go' if emails + chats != 1 else 'it goes'} out when clerk runs again")


def run_service(app: Clerk, *, once: bool = False,
                log_format: LogFormat = LogFormat.TEXT) -> None:
    """Take the lock, then serve until Ctrl-C or SIGTERM."""
    configure_logging(log_format=log_format)
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
    hurry = asyncio.Event()

    def on_signal(number: int) -> None:
        if stop.is_set():
            log.info("%s again: not waiting for the message in hand",
                     signal.Signals(number).name)
            hurry.set()
            return
        log.info("%s received", signal.Signals(number).name)
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    await serve(app, stop, once=once, hurry=hurry)
