"""Reading the inbox over IMAP (imapclient): every message in the folder is fetched with
``BODY.PEEK[]`` (its ``\\Seen`` flag is left alone), handed to :func:`mail.ingest.ingest`, and
moved to the processed folder (or the quarantine folder) once its result is committed.

What was read is recorded in the database, not by flags: each ``inbound`` row keeps the folder's
UIDVALIDITY and the message's UID, and its Message-ID (or the hash of its bytes). So:

- a message still in the inbox whose UID the database already holds was handled, but clerk
  stopped before moving it (killed between the commit and the MOVE): it is moved now, without
  being read again;
- the same message delivered twice (a new UID, the same Message-ID) is a duplicate: nothing is
  done again, and it is moved too;
- if the server renumbers the folder (a new UIDVALIDITY), messages still there are recognised by
  their Message-ID or hash in the same way.

imapclient is blocking: every call runs on the reader's own thread
(:class:`mail.blocking_lane.BlockingLane`, which never holds up clerk's exit), one at a time,
while the database is only touched on the event loop's thread. The long-running
:meth:`ImapReader.run` waits with IDLE where the server offers it (renewed every
``idle_renew_seconds``), polls otherwise, and reconnects after a failure with a growing wait.

With ``auth = "oauth2"`` it logs in with SASL XOAUTH2 and a token from :mod:`clerk.oauth2`; before
that token's end it leaves IDLE and logs in again with a fresh one, and a session the server ends
because its token expired (``* BYE ... AccessTokenExpired``, Exchange Online) is simply opened
again (logged at INFO, not as an outage).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, LoginError

from clerk.app import Clerk
from clerk.config import ImapSettings, secret
from clerk.mail_in import InboundOutcome
from clerk.mail_in.inbox import known_uids
from clerk.oauth2 import OAuth2Error, TokenSource, token_source
from clerk.outage import Outage
from mail.blocking_lane import BlockingLane
from mail.ingest import ingest
from mail.pass_requests import PassRequests, wait_for_any

log = logging.getLogger(__name__)

ResultHook = Callable[[InboundOutcome], None]

BATCH_BYTES = 8 * 2**20  # fetch at most about this much mail at once


class InboxUnavailable(Exception):
    """The inbox cannot be read now (no password, login refused, server gone)."""


class SessionExpired(ConnectionError):
    """The server ended the session because its OAuth2 token expired: log in again."""


class SessionClosedAfterIdle(SessionExpired):
    """The server closed an OAuth2 session as IDLE ended (its ``* BYE`` may have been lost in the
    race): log in again once, quietly; if that fails too, it is an outage."""


def _token_expired(exc: BaseException) -> bool:
    return isinstance(exc, SessionExpired) or "AccessTokenExpired" in str(exc)


def _said_token_expired(client: IMAPClient | None) -> bool:
    """Whether the server's last words were a ``* BYE ... AccessTokenExpired`` (imaplib keeps
    it, then reports only the closed socket)."""
    imap = getattr(client, "_imap", None)
    said = getattr(imap, "untagged_responses", {}).get("BYE", [])
    return any(b"AccessTokenExpired" in line for line in said if isinstance(line, bytes))


@dataclass
class ReadReport:
    """What one pass over an inbox did."""

    results: list[InboundOutcome] = field(default_factory=list)
    moved_again: int = 0

    @property
    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for result in self.results:
            found[result.status] = found.get(result.status, 0) + 1
        return found

    @property
    def message(self) -> str:
        if not self.results and not self.moved_again:
            return "no new messages."
        parts = [f"{n} {status}" for status, n in sorted(self.counts.items())]
        if self.moved_again:
            parts.append(f"{self.moved_again} read before and filed now")
        return f"{len(self.results)} read: " + ", ".join(parts) + "."


def folder_for(result: InboundOutcome, settings: ImapSettings) -> str:
    return settings.quarantine_folder if result.quarantined else settings.processed_folder


def _by_folder(statuses: Mapping[int, str], settings: ImapSettings) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for uid, status in sorted(statuses.items()):
        folder = settings.quarantine_folder if status == "quarantined" else \
            settings.processed_folder
        groups.setdefault(folder, []).append(uid)
    return groups


async def sleep_or_stop(stop: asyncio.Event | None, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class ImapReader:
    """One IMAP connection to one folder, read to the end on each pass."""

    def __init__(self, app: Clerk, settings: ImapSettings | None = None, *,
                 on_result: ResultHook | None = None, ssl_context: ssl.SSLContext | None = None,
                 use_idle: bool | None = None, use_move: bool | None = None,
                 poll_seconds: float | None = None, idle_renew_seconds: float | None = None,
                 idle_tick: float = 1.0, backoff_first: float = 1.0, backoff_max: float = 300.0,
                 batch: int = 20) -> None:
        chosen = settings or app.config.mail.imap
        if chosen is None:
            raise ValueError("no [mail.imap] server is configured")
        self.app = app
        self.settings = chosen
        self.on_result = on_result
        self.ssl_context = ssl_context
        self.use_idle = use_idle
        self.use_move = use_move
        self.poll_seconds = poll_seconds if poll_seconds is not None else chosen.poll_seconds
        self.idle_renew_seconds = (idle_renew_seconds if idle_renew_seconds is not None
                                   else chosen.idle_renew_seconds)
        self.idle_tick = idle_tick
        self.backoff_first = backoff_first
        self.backoff_max = backoff_max
        self.batch = batch
        self.source = f"imap:{chosen.username}@{chosen.host}/{chosen.folder}"
        self.tokens: TokenSource | None = None
        if chosen.auth == "oauth2":
            oauth2 = app.config.mail.oauth2
            assert oauth2 is not None  # the configuration requires it
            self.tokens = token_source(oauth2, chosen.username)
        self._token_renew_at = 0.0  # time.monotonic() when the session's token should be renewed
        self.uidvalidity = 0
        self.connections = 0
        self.idles = 0
        self._client: IMAPClient | None = None
        self._lane = BlockingLane(f"imap {self.where}")
        self._idle = False
        self._move_ok = False
        self._running = False
        self._expired_in_a_row = False
        self._last_end: BaseException | None = None
        self._requests: PassRequests[ReadReport] = PassRequests()
        self.outage = Outage(f"IMAP server {self.where}", log, app.clock, tz=app.tz,
                             consequence="replies wait on the server and are read when it is back")

    @property
    def where(self) -> str:
        s = self.settings
        return f"{s.host}:{s.port}/{s.folder}"

    # ------------------------------------------------------------ blocking (worker thread)

    def _open(self) -> IMAPClient:
        s = self.settings
        if self.tokens is not None:
            return self._open_with(self._oauth2_login)
        password = secret(s.password_env) if s.username else None
        if s.username and not password:
            raise InboxUnavailable(f"the IMAP password for {s.username} is not set: put it in "
                                   f"the environment variable {s.password_env or '(password_env)'}")

        def password_login(client: IMAPClient) -> None:
            if s.username:
                try:
                    client.login(s.username, password or "")
                except LoginError as exc:
                    raise InboxUnavailable(f"the IMAP server {self.where} refused the user name "
                                           f"or password for {s.username}: {exc}") from exc

        return self._open_with(password_login)

    def _oauth2_login(self, client: IMAPClient) -> None:
        """SASL XOAUTH2 with a token good for a while yet (asked for before connecting)."""
        assert self.tokens is not None
        s = self.settings
        try:
            token = self.tokens.current()
        except OAuth2Error as exc:
            raise InboxUnavailable(str(exc)) from None
        try:
            client.oauth2_login(s.username, token.value)
        except LoginError as exc:
            self.tokens.forget()
            raise InboxUnavailable(
                f"the IMAP server {self.where} refused the OAuth2 token for {s.username} "
                f"({_first_line(exc)}): check that the app may read this mailbox "
                "(IMAP.AccessAsApp and a mailbox permission, or Google's domain-wide "
                "delegation)") from None
        self._token_renew_at = token.renew_at

    def _open_with(self, login: Callable[[IMAPClient], None]) -> IMAPClient:
        s = self.settings
        if self.tokens is not None:  # the identity provider first: no connection left waiting
            try:
                self.tokens.current()
            except OAuth2Error as exc:
                raise InboxUnavailable(str(exc)) from None
        client = IMAPClient(s.host, port=s.port, ssl=s.ssl, ssl_context=self.ssl_context,
                            timeout=s.timeout_seconds)
        try:
            if s.starttls and not s.ssl:
                client.starttls(self.ssl_context)
            login(client)
            for folder in (s.processed_folder, s.quarantine_folder):
                if not client.folder_exists(folder):
                    client.create_folder(folder)
            selected = client.select_folder(s.folder)
            uidvalidity = int(selected.get(b"UIDVALIDITY", 0))
            if self.uidvalidity and uidvalidity != self.uidvalidity:
                log.warning("the server renumbered %s (UIDVALIDITY %s, was %s): messages still "
                            "there are recognised by their Message-ID", self.where, uidvalidity,
                            self.uidvalidity)
            self.uidvalidity = uidvalidity
            self._idle = client.has_capability("IDLE") if self.use_idle is None else \
                self.use_idle
            self._move_ok = client.has_capability("MOVE") if self.use_move is None else \
                self.use_move
        except Exception as exc:
            expired = _said_token_expired(client)
            _close_quietly(client)
            if expired:
                raise SessionExpired("the session's OAuth2 token expired (AccessTokenExpired)") \
                    from exc
            raise
        except BaseException:
            _close_quietly(client)
            raise
        return client

    def _search(self) -> list[int]:
        client = self._require()
        client.noop()  # let the server tell us about messages that arrived since the last look
        return sorted(int(u) for u in client.search(["NOT", "DELETED"]))

    def _fetch(self, uids: list[int]) -> dict[int, tuple[bytes, datetime | None]]:
        found: dict[int, tuple[bytes, datetime | None]] = {}
        for uid, data in self._require().fetch(uids, [b"BODY.PEEK[]", b"INTERNALDATE"]).items():
            raw = data.get(b"BODY[]")
            if not isinstance(raw, bytes):
                continue
            when = data.get(b"INTERNALDATE")
            found[int(uid)] = (raw, _aware(when) if isinstance(when, datetime) else None)
        return found

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        return {int(uid): int(data.get(b"RFC822.SIZE", 0))
                for uid, data in self._require().fetch(uids, [b"RFC822.SIZE"]).items()}

    def _move(self, uids: list[int], folder: str) -> None:
        client = self._require()
        if self._move_ok:
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.delete_messages(uids)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()

    def _require(self) -> IMAPClient:
        if self._client is None:
            raise InboxUnavailable("not connected")
        return self._client

    # ------------------------------------------------------------ async API

    @property
    def token_due(self) -> bool:
        """Whether the session's OAuth2 token is near its end (log in again with a new one)."""
        return self.tokens is not None and time.monotonic() >= self._token_renew_at

    async def connect(self) -> None:
        if self._client is not None and self.token_due:
            log.debug("renewing the OAuth2 login to %s", self.where)
            await self.close()
        if self._client is None:
            self._client = await self._lane.run(self._open)
            self.connections += 1
            log.log(logging.INFO if self.connections == 1 else logging.DEBUG, "reading %s (%s)",
                    self.where, "IDLE: new mail is seen at once" if self._idle
                    else f"checking every {self.poll_seconds:g} s")

    async def close(self) -> None:
        """Log out (quietly: the connection may be gone already)."""
        client, self._client = self._client, None
        if client is not None:
            await self._lane.run(_close_quietly, client)
        self._lane.retire()

    async def drain_once(self, stop: asyncio.Event | None = None) -> ReadReport:
        """Read every message now in the folder, filing each after its result is committed;
        stops early (after the message in hand) when ``stop`` is set."""
        await self.connect()
        report = ReadReport()
        attempted: set[int] = set()
        filed: set[int] = set()
        while stop is None or not stop.is_set():
            uids = await self._lane.run(self._search)
            known = known_uids(self.app, self.source, self.uidvalidity, uids) if uids else {}
            leftovers = {u: s for u, s in known.items() if u not in filed}
            new = [u for u in uids if u not in known and u not in attempted]
            if not leftovers and not new:
                break
            for folder, group in _by_folder(leftovers, self.settings).items():
                await self._lane.run(self._move, group, folder)
                filed.update(group)
                report.moved_again += len(group)
                log.info("filed %d message(s) read before clerk last stopped into %s",
                         len(group), folder)
            sizes = await self._lane.run(self._sizes, new) if new else {}
            for chunk in _batches(new, sizes, self.batch, BATCH_BYTES):
                fetched = await self._lane.run(self._fetch, chunk)
                for uid in chunk:
                    attempted.add(uid)
                    if uid not in fetched:
                        continue  # gone meanwhile (moved or expunged by someone else)
                    raw, when = fetched.pop(uid)
                    result = ingest(self.app, raw, source=self.source,
                                    uidvalidity=self.uidvalidity, uid=uid, received_at=when)
                    report.results.append(result)
                    if self.on_result is not None:
                        self.on_result(result)
                    await self._lane.run(self._move, [uid],
                                            folder_for(result, self.settings))
                    filed.add(uid)
                    if stop is not None and stop.is_set():
                        return report
        return report

    async def read_to_end(self) -> ReadReport:
        """Read everything in the inbox now (for example before a reminder or a ballot's close).
        While :meth:`run` is running, it is asked for a full pass and this waits for it (the
        connection is never used by two at once); otherwise one pass is made here."""
        if self._running:
            return await self._requests.ask()
        return await self.drain_once()

    async def run(self, stop: asyncio.Event) -> None:
        """Read until ``stop`` is set: a pass, then IDLE (or a pause), and again; after a
        failure, reconnect after 1, 2, 4 ... seconds (at most ``backoff_max``). A server that
        stays down is logged by :attr:`outage`: once, a reminder every few minutes, once when
        back."""
        delay = self.backoff_first
        self._running = True
        wake = [stop, self._requests.wanted]
        try:
            while not stop.is_set():
                asked = self._requests.take()  # a request made from now on gets the next pass
                try:
                    report = await self.drain_once(stop)
                except Exception as exc:
                    self._requests.fail(asked, exc)
                    if self._token_expired(exc) and await self._expired_session():
                        continue
                    log.debug("reading %s failed", self.where, exc_info=True)
                    self.outage.failed(_describe(exc))
                    await self.close()
                    await wait_for_any(wake, delay)
                    delay = min(delay * 2, self.backoff_max)
                    continue
                self._requests.answer(asked, report)
                try:
                    self.outage.succeeded()
                    delay = self.backoff_first
                    if stop.is_set() or self._requests.wanted.is_set():
                        continue
                    if self._idle:
                        await self._idle_once(stop)
                    else:
                        await wait_for_any(wake, self.poll_seconds)
                except Exception as exc:
                    if self._token_expired(exc) and await self._expired_session():
                        continue
                    log.debug("reading %s failed", self.where, exc_info=True)
                    self.outage.failed(_describe(exc))
                    await self.close()
                    await wait_for_any(wake, delay)
                    delay = min(delay * 2, self.backoff_max)
        finally:
            self._running = False
            self._requests.fail_all(InboxUnavailable("clerk is stopping"))
            await self.close()

    def _token_expired(self, exc: BaseException) -> bool:
        """Whether the server ended the session for its token: said in the error, or in a
        ``* BYE`` it sent just before closing (read while a command was on its way)."""
        self._last_end = exc
        return _token_expired(exc) or _said_token_expired(self._client)

    async def _expired_session(self) -> bool:
        """The server ended the session because its token expired: log in again at once with a
        new token (once in a row; a second time in a row is handled as a failure)."""
        await self.close()
        if self.tokens is None or self._expired_in_a_row:
            self._expired_in_a_row = False
            return False
        self._expired_in_a_row = True
        self.tokens.forget()
        log.info("the IMAP server %s ended the session %s; logging in again with a new token",
                 self.where, "as IDLE ended" if isinstance(self._last_end, SessionClosedAfterIdle)
                 else "because its OAuth2 token expired")
        return True

    async def _idle_once(self, stop: asyncio.Event) -> None:
        """Wait in IDLE until the server reports new mail, ``stop`` is set, or it is time to
        renew the IDLE (servers drop a client idle for 30 minutes), or a full pass is asked for
        (:meth:`read_to_end`)."""
        client = self._require()
        await self._lane.run(client.idle)
        self.idles += 1
        started = time.monotonic()
        self._expired_in_a_row = False  # this session logged in and worked
        while not (stop.is_set() or self._requests.wanted.is_set()):
            remaining = self.idle_renew_seconds - (time.monotonic() - started)
            if self.tokens is not None:  # leave IDLE before the token ends, to log in again
                remaining = min(remaining, self._token_renew_at - time.monotonic())
            if remaining <= 0:
                break
            responses = await self._lane.run(client.idle_check, min(self.idle_tick, remaining))
            if _news(responses):
                break
        try:
            await self._lane.run(client.idle_done)
        except (IMAPClientAbortError, OSError) as exc:
            if self.tokens is None:
                raise
            raise SessionClosedAfterIdle(str(exc)) from exc


def _batches(uids: list[int], sizes: Mapping[int, int], count: int,
             size: int) -> Iterable[list[int]]:
    """UIDs in fetch batches of at most ``count`` messages and about ``size`` bytes (a large
    message comes alone), so a few big attachments never sit in memory together."""
    chunk: list[int] = []
    total = 0
    for uid in uids:
        weight = sizes.get(uid, 0)
        if chunk and (len(chunk) == count or total + weight > size):
            yield chunk
            chunk, total = [], 0
        chunk.append(uid)
        total += weight
    if chunk:
        yield chunk


def _news(responses: Iterable[Any]) -> bool:
    """Whether IDLE responses announce a message; a BYE means the server is going away."""
    for response in responses:
        if not isinstance(response, tuple) or len(response) < 2:
            continue
        if response[0] == b"BYE":
            if b"AccessTokenExpired" in b" ".join(p for p in response if isinstance(p, bytes)):
                raise SessionExpired("the session's OAuth2 token expired (AccessTokenExpired)")
            raise ConnectionError(f"the server closed the connection: {response[1]!r}")
        if response[1] in (b"EXISTS", b"RECENT"):
            return True
    return False


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _aware(when: datetime) -> datetime:
    """imapclient gives INTERNALDATE as a naive local time."""
    return when.astimezone(UTC)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        return f"the server did not answer in time ({text})"
    if isinstance(exc, ConnectionRefusedError):
        return "the server refused the connection (is it running?)"
    return text


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            log.debug("closing the IMAP connection failed", exc_info=True)
