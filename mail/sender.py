"""Draining the outbox: every due message is claimed, handed to the transport, and its outcome
recorded, each step its own short transaction (``clerk.outbox.delivery``); no transaction is
open while the network is awaited.

The pace (``[mail.smtp] max_per_minute``, and slowing down at a "too many" answer) is the rule
``clerk.rules.messages.send_pace``; here the sender waits between messages without blocking the loop
(the bot and the inbox go on), watching ``stop`` so that clerk still stops at once, and logs one
line per change of pace.

``drain_once`` is one pass (used by ``clerk mail send`` through :func:`send_outbox`);
``OutboxSender.run`` repeats it for the long-running service. What "never twice" means, and the
one window where a copy can go out, is written down in ``clerk.outbox.delivery``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from clerk.app import Clerk
from clerk.outage import Outage
from clerk.outbox import delivery
from clerk.rules.messages.send_pace import PaceChange, PaceKind, SendPace, is_sending_quota, is_throttling
from mail.transport import (
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    Transport,
    make_transport,
)

log = logging.getLogger(__name__)

RELEASED = ("clerk stopped while sending this message; it is sent again when clerk runs again "
            "(if the server had taken it already, the copy has the same Message-ID)")


@dataclass
class DrainReport:
    """What one pass over the outbox did. ``stopped`` is the server failure that ended the pass
    early (empty if none); ``interrupted`` says the pass ended because clerk is stopping."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    recovered: int = 0
    stopped: str = ""
    transport: str = ""
    interrupted: bool = False
    why_stopped: str = ""  # the cause alone ("the connection was refused"), for the log
    per_minute: float | None = None  # the pace at the end of the pass (None: no limit)
    slowed: bool = False  # the server made the pass go slower than configured

    @property
    def summary(self) -> str:
        """The counts in words, without the reason a pass stopped (for the log)."""
        return (f"{self.sent} sent, {self.retrying} to try again later, {self.failed} failed"
                + (f", {self.skipped} not sent (address bounces)" if self.skipped else "")
                + (f", {self.recovered} recovered after an interrupted send"
                   if self.recovered else ""))

    @property
    def message(self) -> str:
        return self.summary + (f". Stopped: {self.stopped}" if self.stopped else ".")


def transport_for(app: Clerk, *, tls_context: ssl.SSLContext | None = None) -> Transport:
    """The configured transport: SMTP, or the local Maildir when no server is configured."""
    return make_transport(app.config.mail, app.config.maildir_path, tls_context=tls_context)


def destination(app: Clerk) -> str:
    """Where mail goes, in words: "SMTP server smtp.example.org:587" or "mail folder PATH"."""
    smtp = app.config.mail.smtp
    if smtp is not None:
        return f"SMTP server {smtp.host}:{smtp.port}"
    return f"mail folder {app.config.maildir_path / 'outbox'}"


def server_failure(where: str, exc: ServerUnavailable) -> tuple[str, str]:
    """Why the server cannot be used, in words without Python's reprs: a sentence naming the
    server ("cannot connect to the SMTP server mail.example:587: it refused the connection (is
    it running?)"), and the cause alone for the outage log ("the connection was refused (is it
    running?)")."""
    causes = {ConnectionRefusedError: ("it refused the connection (is it running?)",
                                       "the connection was refused (is it running?)"),
              socket.gaierror: ("its host name is not known", "unknown host name"),
              TimeoutError: ("it did not answer in time", "no answer in time")}
    seen: BaseException | None = exc
    while seen is not None:
        for kind, (sentence, cause) in causes.items():
            if isinstance(seen, kind):
                return f"cannot connect to the {where}: {sentence}", cause
        seen = seen.__cause__ or seen.__context__
    return str(exc), str(exc)


def pace_for(app: Clerk, *, clock: Callable[[], float] = time.monotonic) -> SendPace:
    """The configured pace (``[mail.smtp] max_per_minute``; none for the Maildir)."""
    smtp = app.config.mail.smtp
    return SendPace(smtp.max_per_minute if smtp is not None else None, clock=clock)


def log_pace(app: Clerk, change: PaceChange) -> None:
    """One line for one change of pace (never one per message)."""
    where = destination(app)
    if change.kind is PaceKind.SLOWER:
        log.warning("%s asks clerk to slow down (%s): now %s; the rest stay queued and go out "
                    "at that pace", where, change.answer, change.words)
    elif change.kind is PaceKind.FASTER:
        log.info("%s: no more refusals for a while; sending faster again, %s", where,
                 change.words)
    elif change.per_minute is None:
        log.info("%s: no more refusals for a while; back to full speed (no limit)", where)
    else:
        log.info("%s: back to the configured pace, %s", where, change.words)


async def _paused(seconds: float, stop: asyncio.Event | None) -> bool:
    """Wait ``seconds`` without blocking the loop; True if ``stop`` was set meanwhile."""
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def drain_once(app: Clerk, transport: Transport, *, limit: int | None = None,
                     stop: asyncio.Event | None = None,
                     on_reached: Callable[[], None] | None = None,
                     pace: SendPace | None = None,
                     on_progress: Callable[[DrainReport], None] | None = None) -> DrainReport:
    """Send every message due now (at most ``limit``), one by one over the transport, at
    ``pace`` (none: as fast as the server takes them).

    When ``stop`` is set the pass ends after the message in hand (or at once while waiting for
    the pace); the rest stay queued. If the send in hand is cancelled, its claim is released at
    once (see :func:`delivery.release`). ``on_reached`` is called once, after the first message
    the server answered (accepted or refused for good): the server is up. ``on_progress`` is
    called after each message with the report so far."""
    report = DrainReport(transport=transport.name,
                         per_minute=pace.per_minute if pace is not None else None)
    report.recovered = delivery.recover_stale(app)
    report.skipped = delivery.skip_undeliverable(app)
    sender = app.config.mail.from_address
    tried = 0
    reached = False
    while limit is None or tried < limit:
        # a Maildir write never awaits: let the loop's other work (the bot's replies) go between
        # messages, so that a pass of hundreds does not hold them up
        await asyncio.sleep(0)
        if stop is not None and stop.is_set():
            report.interrupted = True
            break
        if pace is not None and (delay := pace.wait()) > 0:
            if not delivery.any_due(app):
                break
            if await _paused(delay, stop):
                report.interrupted = True
                break
        claim = delivery.claim_next(app)
        if claim is None:
            break
        tried += 1
        if pace is not None and (change := pace.started()) is not None:
            log_pace(app, change)
        try:
            await transport.send(claim.raw, sender, claim.to_addr)
        except asyncio.CancelledError:
            delivery.release(app, claim.id, RELEASED)
            raise
        except PermanentFailure as exc:
            if is_sending_quota(str(exc)):  # our mailbox's cap, not this message: keep it all
                _count(report, delivery.mark_retry(app, claim.id, str(exc)))
                _slow_down(app, pace, str(exc), quota=True)
                quota_note = f"clerk's mailbox has reached its sending limit ({exc})"
                report.why_stopped = f"it says {quota_note}"
                report.stopped = f"the {destination(app)} says {quota_note}"
                _progress(report, pace, on_progress)
                break
            delivery.mark_failed(app, claim.id, str(exc), address=exc.address)
            report.failed += 1
        except ServerUnavailable as exc:
            if exc.untried:  # OAuth2 credentials refused before sending: stays due, not this one's fault
                delivery.release(app, claim.id, str(exc))
                report.retrying += 1
            else:
                _count(report, delivery.mark_retry(app, claim.id, str(exc)))
            _slow_down(app, pace, str(exc))
            report.stopped, report.why_stopped = server_failure(destination(app), exc)
            _progress(report, pace, on_progress)
            break
        except TemporaryFailure as exc:
            _count(report, delivery.mark_retry(app, claim.id, str(exc)))
            _slow_down(app, pace, str(exc))
            _progress(report, pace, on_progress)
            continue
        except Exception as exc:  # a bug must not leave the row claimed until the lease ends
            log.exception("sending outbox message %s failed unexpectedly", claim.id)
            _count(report, delivery.mark_retry(app, claim.id, f"{type(exc).__name__}: {exc}"))
            _progress(report, pace, on_progress)
            continue
        else:
            delivery.mark_sent(app, claim.id)  # no await between the 250 and this commit
            report.sent += 1
        _progress(report, pace, on_progress)
        if not reached:
            reached = True
            if on_reached is not None:
                on_reached()
    return report


def _slow_down(app: Clerk, pace: SendPace | None, answer: str, *, quota: bool = False) -> None:
    if pace is not None and (quota or is_throttling(answer)):
        log_pace(app, pace.throttled(answer))


def _progress(report: DrainReport, pace: SendPace | None,
              on_progress: Callable[[DrainReport], None] | None) -> None:
    if pace is not None:
        report.per_minute, report.slowed = pace.per_minute, pace.slowed
    if on_progress is not None:
        on_progress(report)


def _count(report: DrainReport, status: str) -> None:
    if status == "failed":
        report.failed += 1
    else:
        report.retrying += 1


def send_outbox(app: Clerk, *, tls_context: ssl.SSLContext | None = None,
                limit: int | None = None, pace: SendPace | None = None,
                on_progress: Callable[[DrainReport], None] | None = None) -> DrainReport:
    """One pass, from synchronous code (the CLI): connect, send what is due at the configured
    pace (or ``pace``), disconnect. Ctrl-C stops it after releasing the message in hand: the
    rest stay queued."""

    async def once() -> DrainReport:
        transport = transport_for(app, tls_context=tls_context)
        try:
            return await drain_once(app, transport, limit=limit,
                                    pace=pace if pace is not None else pace_for(app),
                                    on_progress=on_progress)
        finally:
            await transport.close()

    return asyncio.run(once())


class OutboxSender:
    """The service's sender: drains the outbox every ``interval`` seconds, or at once when
    :meth:`wake` is called, over one transport kept open between passes. A server that stays
    down is logged by :attr:`outage` (once, a reminder every few minutes, once when back)."""

    def __init__(self, app: Clerk, transport: Transport | None = None, *,
                 interval: float = 30.0, pace: SendPace | None = None) -> None:
        self.app = app
        self.transport = transport or transport_for(app)
        self.interval = interval
        self.pace = pace if pace is not None else pace_for(app)  # kept from pass to pass
        self.outage = Outage(destination(app), log, app.clock, tz=app.tz,
                             down="down" if app.config.mail.smtp is not None else "not usable",
                             consequence="mail stays queued and is sent when it is back")
        self._wake = asyncio.Event()

    async def drain_once(self, stop: asyncio.Event | None = None) -> DrainReport:
        """One pass; its outcome is logged (a pass that sent or failed something) and fed to
        :attr:`outage`."""
        report = await drain_once(self.app, self.transport, stop=stop, on_reached=self._back,
                                  pace=self.pace)
        if report.sent or report.failed or report.skipped or (report.retrying and not report.stopped):
            log.info("outbox: %s", report.summary)  # a pass that only met the server down: see outage
        if report.stopped:
            self.outage.failed(report.why_stopped or report.stopped)
        return report

    def _back(self) -> None:
        if self.outage.down is not None:
            queued = delivery.queued_count(self.app)
            self.outage.succeeded(f"{queued} queued message{'s' if queued != 1 else ''}")

    def wake(self) -> None:
        """Something was queued: drain now rather than at the next interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until ``stop`` is set (then finish the message in hand and return); a failing
        pass is logged and tried again next time."""
        try:
            while not stop.is_set():
                try:
                    await self.drain_once(stop)
                except Exception:
                    log.exception("outbox pass failed")
                if stop.is_set():
                    break
                self._wake.clear()
                waiters = [asyncio.ensure_future(stop.wait()),
                           asyncio.ensure_future(self._wake.wait())]
                try:
                    await asyncio.wait(waiters, timeout=self.interval,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in waiters:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
        finally:
            await self.transport.close()
