"""Doctor checks on the mail servers: SMTP (connect, TLS, login, and a test message only when asked)
and IMAP (login, the folders clerk reads and files into). With ``auth = "oauth2"`` the login is
SASL XOAUTH2, after a check that the identity provider gives clerk a token (the token itself is
never shown).

Every failure names the server as host:port and says what to change; nothing raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from clerk.config import Config, ImapSettings, SmtpSettings, secret
from clerk.messages import render_email
from clerk.oauth2 import OAuth2Error, token_source
from clerk.ops.verdicts import Check, Part, Verdict, fail, ok, warn

CONNECT_TIMEOUT = 10.0


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost`` or a loopback address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused (is the server running, and is the port right?)"
    if isinstance(exc, TimeoutError):
        return "no answer in time (a firewall, or the wrong host?)"
    if isinstance(exc, socket.gaierror):
        return f"the host name does not resolve ({exc})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not trusted ({exc.verify_message or exc})"
    text = str(exc).strip()
    return text or type(exc).__name__


def _token(config: Config, settings: SmtpSettings | ImapSettings, part: Part) -> tuple[str | None, Check]:
    """An OAuth2 access token for the server's mailbox, and the check that says how getting it went."""
    assert config.mail.oauth2 is not None  # the configuration requires it with auth = "oauth2"
    source = token_source(config.mail.oauth2, settings.username)
    try:
        token = source.current()
    except OAuth2Error as exc:
        return None, fail(part, "OAuth2 token", str(exc), "fix it, then run clerk doctor again",
                          source.who)
    return token.value, ok(part, "OAuth2 token", f"{source.who} gave clerk a token for "
                           f"{settings.username}", source.who)


def _password(settings: SmtpSettings | ImapSettings, part: Part,
              where: str) -> tuple[str | None, Check | None]:
    if not settings.username or settings.auth == "oauth2":
        return None, None
    password = secret(settings.password_env)
    if password:
        return password, None
    env = settings.password_env or "(password_env is not set)"
    return None, fail(part, "password", f"the password for {settings.username} is not set",
                      f"put it in the environment variable {env} (for the service: its "
                      "environment file)", where)


# ------------------------------------------------------------------------------------------ SMTP

def check_smtp(config: Config, *, send_test: str | None = None,
               tls_context: ssl.SSLContext | None = None) -> list[Check]:
    settings = config.mail.smtp
    if settings is None:
        return []
    return asyncio.run(_check_smtp(config, settings, send_test, tls_context))


async def _check_smtp(config: Config, s: SmtpSettings, send_test: str | None,
                      tls_context: ssl.SSLContext | None) -> list[Check]:
    import aiosmtplib

    part, where = Part.SMTP, f"{s.host}:{s.port}"
    checks: list[Check] = []
    password, missing = _password(s, part, where)
    smtp = aiosmtplib.SMTP(hostname=s.host, port=s.port, use_tls=s.tls, start_tls=False,
                           timeout=min(s.timeout_seconds, CONNECT_TIMEOUT), tls_context=tls_context,
                           local_hostname=config.mail.reply_domain)
    try:
        await smtp.connect()
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
        cause = exc.__cause__ or exc
        return [fail(part, "connect", f"cannot connect to the SMTP server {where}: "
                     f"{_reason(cause)}", "check [mail.smtp] host and port, that the server is up, "
                     "and that this machine may reach it", where)]
    try:
        checks.append(ok(part, "connect", f"the server at {where} answered", where))
        checks.append(await _smtp_tls(smtp, s, where))
        if checks[-1].verdict is Verdict.FAIL:
            return checks
        if missing is not None:
            checks.append(missing)
            return checks
        if s.auth == "oauth2":
            token, got = _token(config, s, part)
            checks.append(got)
            if token is None:
                return checks
            try:
                await smtp.auth_xoauth2(s.username, token)
            except aiosmtplib.SMTPException as exc:
                checks.append(fail(part, "login", f"the SMTP server {where} refused the OAuth2 token "
                                   f"for {s.username}: {_reason(exc)}",
                                   "check that the app may send as this mailbox (SMTP.SendAsApp and "
                                   "a mailbox permission, or Google's domain-wide delegation) and "
                                   "that SMTP AUTH is on for it", where))
                return checks
            checks.append(ok(part, "login", f"logged in as {s.username} (OAuth2)", where))
        elif s.username:
            try:
                await smtp.login(s.username, password or "")
            except aiosmtplib.SMTPException as exc:
                checks.append(fail(part, "login", f"the SMTP server {where} refused the user name or "
                                   f"password for {s.username}: {_reason(exc)}",
                                   f"check [mail.smtp] username and the password in "
                                   f"${s.password_env}", where))
                return checks
            checks.append(ok(part, "login", f"logged in as {s.username}", where))
        else:
            checks.append(ok(part, "login", "no username configured: the server must accept mail "
                             "from this machine without login", where))
        if send_test:
            checks.append(await _send_test(smtp, config, send_test, where))
    finally:
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()
    return checks


async def _smtp_tls(smtp: object, s: SmtpSettings, where: str) -> Check:
    import aiosmtplib

    assert isinstance(smtp, aiosmtplib.SMTP)
    part = Part.SMTP
    if s.tls:
        return ok(part, "TLS", "implicit TLS, certificate verified", where)
    if s.starttls:
        try:
            await smtp.starttls()
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            cause = exc.__cause__ or exc
            return fail(part, "TLS", f"STARTTLS with {where} failed: {_reason(cause)}",
                        "use the server's submission port (587) with starttls = true, or port 465 "
                        "with tls = true; if its certificate is private, trust its CA on this "
                        "machine", where)
        return ok(part, "TLS", "STARTTLS, certificate verified", where)
    if is_loopback(s.host):
        return ok(part, "TLS", "no TLS (a server on this machine)", where)
    return warn(part, "TLS", "no TLS: mail and the password cross the network in clear",
                "set starttls = true (port 587) or tls = true (port 465) in [mail.smtp]", where)


async def _send_test(smtp: object, config: Config, address: str, where: str) -> Check:
    import aiosmtplib


    assert isinstance(smtp, aiosmtplib.SMTP)
    now = datetime.now(UTC)
    rendered = render_email("doctor_test", server=where, when=now.astimezone(config.timezone),
                            from_address=config.mail.from_address,
                            organisation=config.clerk.organisation)
    msg = EmailMessage()
    msg["From"] = f"{config.mail.from_name} <{config.mail.from_address}>"
    msg["To"] = address
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=config.mail.reply_domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text)
    try:
        await smtp.send_message(msg, sender=config.mail.from_address, recipients=[address])
    except (aiosmtplib.SMTPException, OSError) as exc:
        return fail(Part.SMTP, "test message", f"the server {where} did not accept a test message "
                    f"to {address}: {_reason(exc)}", "check that the server lets "
                    f"{config.mail.from_address} send (relay) from this machine", where)
    return ok(Part.SMTP, "test message", f"a test message to {address} was accepted", where)


# ------------------------------------------------------------------------------------------ IMAP

def check_imap(config: Config, *, ssl_context: ssl.SSLContext | None = None) -> list[Check]:
    settings = config.mail.imap
    if settings is None:
        return []
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError, LoginError

    s = settings
    part, where = Part.IMAP, f"{s.host}:{s.port}"
    password, missing = _password(s, part, where)
    try:
        client = IMAPClient(s.host, port=s.port, ssl=s.ssl, ssl_context=ssl_context,
                            timeout=min(s.timeout_seconds, CONNECT_TIMEOUT))
    except (IMAPClientError, OSError, ssl.SSLError) as exc:
        return [fail(part, "connect", f"cannot connect to the IMAP server {where}: {_reason(exc)}",
                     "check [mail.imap] host, port and ssl, that the server is up, and that this "
                     "machine may reach it", where)]
    checks = [ok(part, "connect", f"the server at {where} answered", where)]
    try:
        if s.ssl:
            checks.append(ok(part, "TLS", "implicit TLS, certificate verified", where))
        elif s.starttls:
            try:
                client.starttls(ssl_context)
            except (IMAPClientError, OSError, ssl.SSLError) as exc:
                checks.append(fail(part, "TLS", f"STARTTLS with {where} failed: {_reason(exc)}",
                                   "use port 993 with ssl = true, or trust the server's CA on "
                                   "this machine", where))
                return checks
            checks.append(ok(part, "TLS", "STARTTLS, certificate verified", where))
        elif is_loopback(s.host):
            checks.append(ok(part, "TLS", "no TLS (a server on this machine)", where))
        else:
            checks.append(warn(part, "TLS", "no TLS: mail and the password cross the network in "
                               "clear", "set ssl = true (port 993) in [mail.imap]", where))
        if missing is not None:
            checks.append(missing)
            return checks
        if s.auth == "oauth2":
            token, got = _token(config, s, part)
            checks.append(got)
            if token is None:
                return checks
            try:
                client.oauth2_login(s.username, token)
            except LoginError as exc:
                checks.append(fail(part, "login", f"the IMAP server {where} refused the OAuth2 token "
                                   f"for {s.username}: {_reason(exc)}",
                                   "check that the app may read this mailbox (IMAP.AccessAsApp and a "
                                   "mailbox permission, or Google's domain-wide delegation)", where))
                return checks
            checks.append(ok(part, "login", f"logged in as {s.username} (OAuth2)", where))
        elif s.username:
            try:
                client.login(s.username, password or "")
            except LoginError as exc:
                checks.append(fail(part, "login", f"the IMAP server {where} refused the user name or "
                                   f"password for {s.username}: {_reason(exc)}",
                                   f"check [mail.imap] username and the password in "
                                   f"${s.password_env}", where))
                return checks
            checks.append(ok(part, "login", f"logged in as {s.username}", where))
        checks.extend(_imap_folders(client, s, where))
    except (IMAPClientError, OSError, ssl.SSLError) as exc:
        checks.append(fail(part, "session", f"the IMAP server {where} failed: {_reason(exc)}",
                           "check the server's log", where))
    finally:
        try:
            client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                client.shutdown()
    return checks


def _imap_folders(client: object, s: ImapSettings, where: str) -> list[Check]:
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError

    assert isinstance(client, IMAPClient)
    part = Part.IMAP
    checks: list[Check] = []
    if client.folder_exists(s.folder):
        checks.append(ok(part, "folder", f"{s.folder} (read) exists", where))
    else:
        checks.append(fail(part, "folder", f"the folder {s.folder} clerk reads does not exist on "
                           f"{where}", "set [mail.imap] folder to the inbox replies arrive in", where))
    for name in (s.processed_folder, s.quarantine_folder):
        if client.folder_exists(name):
            checks.append(ok(part, "folder", f"{name} exists", where))
            continue
        try:  # what clerk does on every connection anyway: create the folders it files into
            client.create_folder(name)
        except IMAPClientError as exc:
            checks.append(fail(part, "folder", f"the folder {name} does not exist and cannot be "
                               f"created: {_reason(exc)}", f"create {name} for {s.username} on the "
                               "server, or name an existing folder in [mail.imap]", where))
            continue
        checks.append(ok(part, "folder", f"{name} did not exist: created it (clerk files mail "
                         "there)", where))
    return checks
