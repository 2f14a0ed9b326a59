"""The embedded default inbox: a local Maildir (``<maildir>/inbox``), read when no IMAP server
is configured, with the same ingest path as IMAP.

Each message is handed to :func:`mail.ingest.ingest` and, once its result is committed, filed
into the sibling Maildir ``processed`` (or ``quarantine``). If clerk stops between the commit and
the filing, the message is read again next time and recognised as a duplicate by its Message-ID
(or hash): nothing is done twice.

A message's received time is when it was delivered into the Maildir: the time of its file in
``new/`` or ``cur/``. Delivery writes the file (in ``tmp/``, then moves it, which keeps the time)
and nothing after touches it, so it is what IMAP's INTERNALDATE is for the IMAP reader: a vote
delivered at 23:58 counts even when clerk reads it the next morning. A ``Received:`` header was
not used: every server on the way adds one, clerk has no server of its own in front of the
Maildir to tell its header from a forged one, and the file's time needs no parsing. A file time
later than clerk's clock (a wrong clock, a touched file) counts as the time it is read.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import os
from datetime import UTC, datetime
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
        delivered = _delivery_times(Path(self.where), inbox.colon)
        for key in sorted(inbox.keys()):  # unique names start with the delivery time
            try:
                raw = inbox.get_bytes(key)
            except (KeyError, FileNotFoundError):
                continue  # taken by someone else meanwhile
            when = delivered.get(key)
            now = self.app.clock.now()
            result = ingest(self.app, raw, source=SOURCE,
                            received_at=min(when, now) if when is not None else None)
            report.results.append(result)
            if self.on_result is not None:
                self.on_result(result)
            filed["quarantine" if result.quarantined else "processed"].add(raw)
            inbox.discard(key)
            if stop is not None and stop.is_set():
                break
        return report

    async def read_to_end(self) -> ReadReport:
        """Read everything in the inbox now (for example before a reminder or a ballot's close).
        Safe while :meth:`run` is running: a pass never waits on anything mid-way (it reads
        local files), so two passes cannot interleave on the event loop."""
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


def _delivery_times(folder: Path, colon: str) -> dict[str, datetime]:
    """Each message's delivery time (its file's modification time), by Maildir key (the file
    name before the ``:2,`` flags)."""
    found: dict[str, datetime] = {}
    for sub in ("new", "cur"):
        try:
            entries = list(os.scandir(folder / sub))
        except FileNotFoundError:
            continue
        for entry in entries:
            try:
                stamp = entry.stat().st_mtime
            except FileNotFoundError:
                continue
            found[entry.name.split(colon, 1)[0]] = datetime.fromtimestamp(stamp, UTC)
    return found
