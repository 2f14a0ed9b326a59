"""The embedded default inbox: a local Maildir (``<maildir>/inbox``), read when no IMAP server
is configured, with the same ingest path as IMAP.

Each message is handed to :func:`mail.ingest.ingest` and, once its result is committed, filed
into the sibling Maildir ``processed`` (or ``quarantine``). If clerk stops between the commit and
the filing, the message is read again next time and recognised as a duplicate by its Message-ID
(or hash): nothing is done twice. The time a message is read is its received time.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
from pathlib import Path

from clerk.app import Clerk
from clerk.outage import Outage
from mail.imap_reader import ReadReport, ResultHook, sleep_or_stop
from mail.ingest import ingest

log = logging.getLogger(__name__)

SOURCE = "maildir"


class MaildirReader:
    """Reads ``root/inbox`` into ``root/processed`` and ``root/quarantine``."""

    def __init__(self, app: Clerk, root: Path | None = None, *,
                 on_result: ResultHook | None = None, poll_seconds: float = 5.0) -> None:
        self.app = app
        self.root = Path(root) if root is not None else app.config.maildir_path
        self.on_result = on_result
        self.poll_seconds = poll_seconds
        self.outage = Outage(f"mail folder {self.where}", log, app.clock, tz=app.tz,
                             down="not usable", consequence="replies wait until it can be read")

    @property
    def where(self) -> str:
        return str(self.root / "inbox")

    def _box(self, name: str) -> mailbox.Maildir:
        self.root.mkdir(parents=True, exist_ok=True)
        return mailbox.Maildir(self.root / name, create=True)

    async def drain_once(self, stop: asyncio.Event | None = None) -> ReadReport:
        """Read every message now in the inbox, oldest first."""
        report = ReadReport()
        inbox = self._box("inbox")
        filed = {"processed": self._box("processed"), "quarantine": self._box("quarantine")}
        for key in sorted(inbox.keys()):  # unique names start with the delivery time
            try:
                raw = inbox.get_bytes(key)
            except (KeyError, FileNotFoundError):
                continue  # taken by someone else meanwhile
            result = ingest(self.app, raw, source=SOURCE)
            report.results.append(result)
            if self.on_result is not None:
                self.on_result(result)
            filed["quarantine" if result.quarantined else "processed"].add(raw)
            inbox.discard(key)
            if stop is not None and stop.is_set():
                break
        return report

    async def read_to_end(self) -> ReadReport:
        return await self.drain_once()

    async def run(self, stop: asyncio.Event) -> None:
        """Read the inbox every ``poll_seconds`` until ``stop`` is set."""
        log.info("reading the local mail folder %s (every %g s)", self.where, self.poll_seconds)
        while not stop.is_set():
            try:
                await self.drain_once(stop)
            except OSError as exc:  # the folder cannot be read or written: say so once
                self.outage.failed(f"{exc.strerror or type(exc).__name__}"
                                   + (f" ({exc.filename})" if exc.filename else ""))
            except Exception:
                log.exception("reading %s failed; trying again shortly", self.where)
            else:
                self.outage.succeeded()
            await sleep_or_stop(stop, self.poll_seconds)

    async def close(self) -> None:
        """Nothing to close (for symmetry with the IMAP reader)."""
