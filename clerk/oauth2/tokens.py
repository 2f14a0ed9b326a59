"""Access tokens from the identity provider, kept in memory and renewed before they expire.

One :class:`TokenSource` per provider and mailbox (and secret) lives for the process: each new
connection asks it for a token; it goes to the provider only when the token it holds is close to
its end (the last 10 % of its lifetime, at most 5 minutes), so once per token lifetime. After a
refusal it answers with the same refusal for a while (30 s, doubling, at most 30 minutes) without
asking again. A changed secret or key file is a new source, so a fix is tried at once.

HTTP is urllib, called from the IMAP reader's own thread (``token_sync``) or, for the sender,
from a daemon thread (``token``) that never holds up clerk's exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from clerk.config import OAuth2Settings, secret
from clerk.oauth2.errors import TokenRefused, TokenUnavailable
from clerk.oauth2.grants import provider_name, token_request
from clerk.oauth2.refusals import refusal_sentence

HTTP_TIMEOUT = 20.0
RENEW_MARGIN_MAX = 300.0  # seconds before the end a token is renewed, at most
RENEW_FRACTION = 0.1  # ... and at most this part of its lifetime
REFUSAL_BACKOFF_FIRST = 30.0
REFUSAL_BACKOFF_MAX = 1800.0
UNAVAILABLE_BACKOFF = 5.0


@dataclass(frozen=True)
class Token:
    """An access token and when (``time.monotonic()``) it ends and should be renewed."""

    value: str
    expires_at: float
    renew_at: float

    def __repr__(self) -> str:  # never show the token itself
        return f"Token(expires_at={self.expires_at:.0f}, renew_at={self.renew_at:.0f})"

    @property
    def fresh(self) -> bool:
        return time.monotonic() < self.renew_at


def _lifetime(answer: dict[str, Any]) -> float:
    try:
        return max(1.0, float(answer.get("expires_in", 3600)))
    except (TypeError, ValueError):
        return 3600.0


class TokenSource:
    """Tokens for one mailbox from one ``[mail.oauth2]`` configuration."""

    def __init__(self, settings: OAuth2Settings, username: str, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.username = username
        self.who = provider_name(settings)
        self.requests = 0  # how many times the provider was asked (for tests and doctor)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._refused: TokenRefused | TokenUnavailable | None = None
        self._retry_at = 0.0
        self._backoff = REFUSAL_BACKOFF_FIRST

    def __repr__(self) -> str:
        return f"TokenSource({self.settings.provider}, {self.username})"

    def current(self) -> Token:
        """A token good for a new connection, asking the provider only when needed (blocking)."""
        with self._lock:
            now = self._clock()
            if self._token is not None and now < self._token.renew_at:
                return self._token
            if self._refused is not None and now < self._retry_at:
                raise self._refused
            try:
                token = self._fetch()
            except TokenRefused as exc:
                self._refused, self._retry_at = exc, self._clock() + self._backoff
                self._backoff = min(self._backoff * 2, REFUSAL_BACKOFF_MAX)
                raise
            except TokenUnavailable as exc:
                self._refused, self._retry_at = exc, self._clock() + UNAVAILABLE_BACKOFF
                raise
            self._token, self._refused, self._backoff = token, None, REFUSAL_BACKOFF_FIRST
            return token

    def token_sync(self) -> str:
        """The token's value (blocking: for imapclient, on the IMAP reader's thread)."""
        return self.current().value

    async def token(self) -> str:
        """The token's value, without blocking the event loop."""
        return (await self.current_async()).value

    async def current_async(self) -> Token:
        held = self._token
        if held is not None and self._clock() < held.renew_at:
            return held
        return await _in_daemon_thread(self.current)

    def forget(self) -> None:
        """Drop the held token (a server refused it): the next connection gets a new one."""
        with self._lock:
            self._token = None

    def _fetch(self) -> Token:
        request = token_request(self.settings, self.username)
        self.requests += 1
        started = self._clock()
        body = urlencode(request.form).encode()
        http = urllib.request.Request(request.url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        host = urlsplit(request.url).netloc or request.url
        where = self.who if host in self.who else f"{self.who} at {host}"
        try:
            with urllib.request.urlopen(http, timeout=HTTP_TIMEOUT) as response:
                answer = _json(response.read())
        except urllib.error.HTTPError as exc:
            with contextlib.closing(exc):
                answer = _json(exc.read())
            error = str(answer.get("error", "")) if answer else ""
            if exc.code in (400, 401, 403) or error:
                raise TokenRefused(refusal_sentence(
                    self.settings, self.who, self.username, exc.code, error,
                    str(answer.get("error_description", ""))), code=error or str(exc.code)) from None
            raise TokenUnavailable(f"{where} failed with HTTP {exc.code}; "
                                   "clerk tries again later") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise TokenUnavailable(f"cannot reach {where} ({reason}): check this "
                                   "machine's network and proxy") from None
        value = answer.get("access_token") if answer else None
        if not isinstance(value, str) or not value:
            raise TokenUnavailable(f"{where} answered without an access token")
        lifetime = _lifetime(answer)
        margin = min(RENEW_MARGIN_MAX, lifetime * RENEW_FRACTION)
        return Token(value, started + lifetime, started + lifetime - margin)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8", errors="replace") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def _in_daemon_thread(fn: Callable[[], Token]) -> Token:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Token] = loop.create_future()

    def settle(result: Token | None, exc: BaseException | None) -> None:
        if future.done():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            assert result is not None
            future.set_result(result)

    def work() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting coroutine
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, None, exc)
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=work, name="oauth2 token", daemon=True).start()
    return await future


_SOURCES: dict[tuple[object, ...], TokenSource] = {}
_SOURCES_LOCK = threading.Lock()


def _credential_fingerprint(settings: OAuth2Settings) -> str:
    """Changes when the secret or the key file changes (never kept or shown itself)."""
    digest = hashlib.sha256()
    digest.update((secret(settings.client_secret_env) or "").encode())
    if settings.service_account_file is not None:
        with contextlib.suppress(OSError):
            stat = settings.service_account_file.stat()
            digest.update(f"{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()


def token_source(settings: OAuth2Settings, username: str) -> TokenSource:
    """The process's one TokenSource for this configuration and mailbox (Microsoft's and generic
    tokens are the application's, the same for every mailbox; Google's are per mailbox)."""
    mailbox = username.lower() if settings.provider == "google" else ""
    key = (settings.model_dump_json(), mailbox, _credential_fingerprint(settings))
    with _SOURCES_LOCK:
        source = _SOURCES.get(key)
        if source is None:
            source = _SOURCES[key] = TokenSource(settings, username)
        return source


def forget_sources() -> None:
    """Drop every TokenSource and the tokens they hold (tests; a configuration reloaded)."""
    with _SOURCES_LOCK:
        _SOURCES.clear()
