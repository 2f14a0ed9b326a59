"""Carrying one message to its recipient: over SMTP (aiosmtplib), or into a local Maildir.

A transport only moves bytes. It says how a send went by returning, or by raising one of:

- :class:`TemporaryFailure`: try this message again later (4xx, connection lost mid-send);
- :class:`PermanentFailure`: never try it again (5xx); ``address`` says the recipient's address
  itself was refused (RCPT 5xx), not just this message;
- :class:`ServerUnavailable`: the server cannot be reached, or refuses us (connect, TLS, AUTH,
  MAIL FROM); try again later, and stop sending the rest for now.
"""

from __future__ import annotations

import mailbox
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypedDict

import aiosmtplib

from clerk.config import MailSettings, SmtpSettings, secret

if TYPE_CHECKING:  # clerk.oauth2 is loaded only where auth = "oauth2" (a sender's memory counts)
    from clerk.oauth2 import TokenSource


class _Login(TypedDict, total=False):
    """The login arguments given to ``aiosmtplib.SMTP``: a password, or an OAuth2 token's source."""

    username: str | None
    password: str | None
    oauth_token_generator: aiosmtplib.SMTPTokenGenerator


class SendFailure(Exception):
    """A send did not go through; the message says what the server (or system) said."""


class TemporaryFailure(SendFailure):
    """Try this message again later."""


class PermanentFailure(SendFailure):
    """Never try this message again; with ``address`` the recipient address was refused."""

    def __init__(self, message: str, *, address: bool) -> None:
        super().__init__(message)
        self.address = address


class ServerUnavailable(SendFailure):
    """Nothing can be sent now (server down, refused login): retry this one later, stop now.
    ``untried``: the message never reached the server (no OAuth2 token, or the token refused at
    login), so it is not this message's failure: it stays due and goes out as soon as the
    credentials are fixed."""

    def __init__(self, message: str, *, untried: bool = False) -> None:
        super().__init__(message)
        self.untried = untried


class Transport(Protocol):
    """Sends raw messages; keeps whatever connection it needs between calls."""

    name: str

    async def send(self, raw: bytes, sender: str, recipient: str) -> None: ...

    async def close(self) -> None: ...


class MaildirTransport:
    """The embedded default: every message is delivered as a file into one local Maildir."""

    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._box: mailbox.Maildir | None = None

    async def send(self, raw: bytes, sender: str, recipient: str) -> None:
        try:
            if self._box is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._box = mailbox.Maildir(self.path, create=True)
            self._box.add(raw)  # written to tmp/, then renamed into new/: all or nothing
        except OSError as exc:
            raise ServerUnavailable(f"cannot write to the mail folder {self.path}: {exc}") from exc

    async def close(self) -> None:
        self._box = None


def _code_text(code: int, message: str) -> str:
    return f"{code} {message}".strip()


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for every message after it; opened
    again if the server dropped it. STARTTLS, implicit TLS and AUTH as configured."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings, *, local_hostname: str = "localhost",
                 tls_context: ssl.SSLContext | None = None, idle_check_seconds: float = 30.0,
                 tokens: TokenSource | None = None):
        self.settings = settings
        self.tokens = tokens  # with auth = "oauth2": the access tokens it logs in with
        self._token_renew_at = 0.0
        self.local_hostname = local_hostname
        self.tls_context = tls_context
        self.idle_check_seconds = idle_check_seconds
        self.connections = 0
        self._smtp: aiosmtplib.SMTP | None = None
        self._last_used = 0.0

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def _connection(self) -> aiosmtplib.SMTP:
        smtp = self._smtp
        if smtp is not None and smtp.is_connected and self.tokens is not None and \
                time.monotonic() >= self._token_renew_at:
            await self.close()  # logged in with a token near its end: a new login, a new token
            smtp = None
        if smtp is not None and smtp.is_connected:
            if time.monotonic() - self._last_used < self.idle_check_seconds:
                return smtp
            try:  # servers drop idle connections: check before trusting it with a message
                await smtp.noop()
                return smtp
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()
        self._smtp = None
        s = self.settings
        login: _Login = {}
        if self.tokens is not None:
            from clerk.oauth2 import OAuth2Error

            try:
                token = await self.tokens.current_async()
            except OAuth2Error as exc:
                raise ServerUnavailable(str(exc), untried=True) from None

            async def generator() -> str:
                return token.value

            login = {"username": s.username, "oauth_token_generator": generator}
            self._token_renew_at = token.renew_at
        else:
            password = secret(s.password_env) if s.username else None
            if s.username and not password:
                raise ServerUnavailable(f"the SMTP password for {s.username} is not set: put it in "
                                        f"the environment variable {s.password_env or '(password_env)'}")
            login = {"username": s.username or None, "password": password}
        smtp = aiosmtplib.SMTP(
            hostname=s.host, port=s.port, use_tls=s.tls, start_tls=False if s.tls else s.starttls,
            timeout=s.timeout_seconds, tls_context=self.tls_context,
            local_hostname=self.local_hostname, **login)
        try:
            await smtp.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            smtp.close()
            if self.tokens is not None:
                self.tokens.forget()
                raise ServerUnavailable(
                    f"the SMTP server {self.where} refused the OAuth2 token for {s.username}: "
                    f"{_code_text(exc.code, exc.message)}; check that the app may send as this "
                    "mailbox (SMTP.SendAsApp and a mailbox permission, or Google's domain-wide "
                    "delegation) and that SMTP AUTH is on for it", untried=True) from None
            raise ServerUnavailable(f"the SMTP server {self.where} refused the user name or "
                                    f"password: {_code_text(exc.code, exc.message)}") from exc
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            smtp.close()
            raise ServerUnavailable(f"cannot connect to the SMTP server {self.where}: "
                                    f"{exc or type(exc).__name__}") from exc
        self.connections += 1
        self._smtp = smtp
        return smtp

    async def send(self, raw: bytes, sender: str, recipient: str) -> None:
        smtp = await self._connection()
        try:
            await smtp.sendmail(sender, [recipient], raw)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            text = _code_text(refused.code, refused.message)
            if refused.code >= 500:
                raise PermanentFailure(text, address=True) from exc
            raise TemporaryFailure(text) from exc
        except aiosmtplib.SMTPSenderRefused as exc:
            text = _code_text(exc.code, exc.message)
            if exc.code == 552:  # RFC 1870: this message is too big; others may well go
                raise PermanentFailure(text, address=False) from exc
            if exc.code >= 500:
                raise ServerUnavailable(f"the SMTP server refused our sender address {sender}: "
                                        f"{text}") from exc
            raise TemporaryFailure(text) from exc
        except aiosmtplib.SMTPResponseException as exc:
            text = _code_text(exc.code, exc.message)
            if exc.code >= 500:
                raise PermanentFailure(text, address=False) from exc
            raise TemporaryFailure(text) from exc
        except ValueError as exc:  # an address aiosmtplib will not put on the wire
            raise PermanentFailure(f"the address cannot be used: {exc}", address=True) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            smtp.close()
            self._smtp = None
            raise TemporaryFailure(f"connection to {self.where} lost: "
                                   f"{exc or type(exc).__name__}") from exc
        finally:
            self._last_used = time.monotonic()

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        if smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()


def make_transport(mail: MailSettings, maildir: Path, *,
                   tls_context: ssl.SSLContext | None = None) -> Transport:
    """SMTP when ``[mail.smtp]`` is configured, else the local Maildir ``maildir/outbox``."""
    if mail.smtp is None:
        return MaildirTransport(maildir / "outbox")
    tokens = None
    if mail.smtp.auth == "oauth2":
        from clerk.oauth2 import token_source

        assert mail.oauth2 is not None  # the configuration requires it
        tokens = token_source(mail.oauth2, mail.smtp.username)
    return SmtpTransport(mail.smtp, local_hostname=mail.reply_domain, tls_context=tls_context,
                         tokens=tokens)
