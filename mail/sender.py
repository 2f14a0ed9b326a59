"""Draining the outbox: every due message is claimed, handed to the transport, and its outcome
recorded, each step its own short transaction (``clerk.services.delivery``); no transaction is
open while the network is awaited.

``drain_once`` is one pass (used by ``clerk mail send`` through :func:`send_outbox`);
``OutboxSender.run`` repeats it for the long-running service. What "never twice" means, and the
one window where a copy can go out, is written down in ``clerk.services.delivery``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass

from clerk.app import Clerk
from clerk.services import delivery
from mail.transport import (
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    Transport,
    make_transport,
)

log = logging.getLogger(__name__)


@dataclass
class DrainReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    recovered: int = 0
    stopped: str = ""
    transport: str = ""

    @property
    def message(self) -> str:
        text = (f"{self.sent} sent, {self.retrying} to try again later, {self.failed} failed"
                + (f", {self.skipped} not sent (address bounces)" if self.skipped else "")
                + (f", {self.recovered} recovered after an interrupted send"
                   if self.recovered else ""))
        return text + (f". Stopped: {self.stopped}" if self.stopped else ".")


def transport_for(app: Clerk, *, tls_context: ssl.SSLContext | None = None) -> Transport:
    """The configured transport: SMTP, or the local Maildir when no server is configured."""
    return make_transport(app.config.mail, app.config.maildir_path, tls_context=tls_context)


async def drain_once(app: Clerk, transport: Transport, *, limit: int | None = None) -> DrainReport:
    """Send every message due now (at most ``limit``), one by one over the transport."""
    report = DrainReport(transport=transport.name)
    report.recovered = delivery.recover_stale(app)
    report.skipped = delivery.skip_undeliverable(app)
    sender = app.config.mail.from_address
    tried = 0
    while limit is None or tried < limit:
        claim = delivery.claim_next(app)
        if claim is None:
            break
        tried += 1
        try:
            await transport.send(claim.raw, sender, claim.to_addr)
        except PermanentFailure as exc:
            delivery.mark_failed(app, claim.id, str(exc), address=exc.address)
            report.failed += 1
        except ServerUnavailable as exc:
            _count(report, delivery.mark_retry(app, claim.id, str(exc)))
            report.stopped = str(exc)
            break
        except TemporaryFailure as exc:
            _count(report, delivery.mark_retry(app, claim.id, str(exc)))
        except Exception as exc:  # a bug must not leave the row claimed until the lease ends
            log.exception("sending outbox message %s failed unexpectedly", claim.id)
            _count(report, delivery.mark_retry(app, claim.id, f"{type(exc).__name__}: {exc}"))
        else:
            delivery.mark_sent(app, claim.id)
            report.sent += 1
    return report


def _count(report: DrainReport, status: str) -> None:
    if status == "failed":
        report.failed += 1
    else:
        report.retrying += 1


def send_outbox(app: Clerk, *, tls_context: ssl.SSLContext | None = None,
                limit: int | None = None) -> DrainReport:
    """One pass, from synchronous code (the CLI): connect, send what is due, disconnect."""

    async def once() -> DrainReport:
        transport = transport_for(app, tls_context=tls_context)
        try:
            return await drain_once(app, transport, limit=limit)
        finally:
            await transport.close()

    return asyncio.run(once())


class OutboxSender:
    """The service's sender: drains the outbox every ``interval`` seconds, or at once when
    :meth:`wake` is called, over one transport kept open between passes."""

    def __init__(self, app: Clerk, transport: Transport | None = None, *,
                 interval: float = 30.0) -> None:
        self.app = app
        self.transport = transport or transport_for(app)
        self.interval = interval
        self._wake = asyncio.Event()

    async def drain_once(self) -> DrainReport:
        return await drain_once(self.app, self.transport)

    def wake(self) -> None:
        """Something was queued: drain now rather than at the next interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until ``stop`` is set; a failing pass is logged and tried again next time."""
        try:
            while not stop.is_set():
                try:
                    report = await self.drain_once()
                    if report.sent or report.failed or report.stopped:
                        log.info("outbox: %s", report.message)
                except Exception:
                    log.exception("outbox pass failed")
                self._wake.clear()
                waiters = [asyncio.ensure_future(stop.wait()),
                           asyncio.ensure_future(self._wake.wait())]
                _done, pending = await asyncio.wait(waiters, timeout=self.interval,
                                                    return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        finally:
            await self.transport.close()
