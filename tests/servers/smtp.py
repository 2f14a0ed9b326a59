"""An SMTP sink on loopback (aiosmtpd) that records every message it accepts.

``SmtpSink`` runs ``aiosmtpd.controller.Controller`` on 127.0.0.1 at a port picked up front
(aiosmtpd's readiness probe cannot use port 0). It can misbehave on purpose: answer the next N
transactions with a temporary failure (451 or 421), reject given recipients with 550, or be
stopped and started again on the same port, or say "too many" to every message for a while
(:meth:`SmtpSink.throttle_for`, as Exchange Online and Gmail do to a sender that goes too fast).
With ``tls=True`` it requires STARTTLS and AUTH (PLAIN/LOGIN) for one user, using a self-signed
certificate made with ``openssl req -x509``.
"""

from __future__ import annotations

import asyncio
import atexit
import email
import email.policy
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .ports import free_port

FailStage = Literal["mail", "rcpt", "data"]

_cert_lock = threading.Lock()
_cert_cache: tuple[Path, Path] | None = None


def self_signed_cert(directory: Path | None = None) -> tuple[Path, Path]:
    """Return ``(cert.pem, key.pem)`` for CN=localhost, IP 127.0.0.1, made by ``openssl``.

    Without ``directory`` one pair is made per process (in a temp dir removed at exit) and reused.
    """
    global _cert_cache
    with _cert_lock:
        if directory is None and _cert_cache is not None:
            return _cert_cache
        target = directory
        if target is None:
            target = Path(tempfile.mkdtemp(prefix="smtpcert"))
            atexit.register(shutil.rmtree, target, True)
        cert, key = target / "cert.pem", target / "key.pem"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", str(key), "-out", str(cert), "-days", "3650",
                "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        if directory is None:
            _cert_cache = (cert, key)
        return cert, key


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted SMTP transaction."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    received_at: float  # time.time() when the DATA was accepted
    peer: Any = None
    tls: bool = False
    login: str | None = None  # the AUTH user, if the client authenticated
    mail_options: tuple[str, ...] = field(default=())

    def parsed(self) -> EmailMessage:
        """The message parsed with the modern ``email.policy.default``."""
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class _Failure:
    remaining: int
    code: int
    message: str
    stage: FailStage


class _Handler:
    """aiosmtpd handler hooks; all state lives in the owning SmtpSink."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.sink._take_failure("mail")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.sink._take_failure("rcpt")
        if reply:
            return reply
        rejected = self.sink._rejected.get(address.lower())
        if rejected:
            return rejected
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink.data_delay:  # a slow server: think before answering the data
            await asyncio.sleep(self.sink.data_delay)
        reply = self.sink._take_failure("data")
        if reply:
            return reply
        raw = envelope.original_content
        if raw is None:
            content = envelope.content or b""
            raw = content.encode() if isinstance(content, str) else content
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.sink._record(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=raw,
                received_at=time.time(),
                peer=session.peer,
                tls=session.ssl is not None,
                login=login.decode() if login is not None else None,
                mail_options=tuple(envelope.mail_options),
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """An aiosmtpd server on ``host:port`` that stores what it receives in ``received``."""

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        tls: bool = False,
        username: str = "clerk",
        password: str = "smtp-secret",
        cert_dir: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.tls = tls
        self.username = username if tls else None
        self.password = password if tls else None
        self.cert_path: Path | None = None
        self.key_path: Path | None = None
        if tls:
            self.cert_path, self.key_path = self_signed_cert(cert_dir)
        self._lock = threading.Condition()
        self._received: list[ReceivedMessage] = []
        self._failures: list[_Failure] = []
        self._rejected: dict[str, str] = {}
        self._controller: Controller | None = None
        self.auth_attempts: list[tuple[str, bool]] = []  # (login, accepted)
        self.data_delay = 0.0  # seconds to wait before answering each message's data
        self._throttle: tuple[float, str, FailStage] | None = None  # (until, reply, stage)
        self.throttled: list[float] = []  # time.time() of each throttling answer given

    # ------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._controller is not None

    def start(self) -> None:
        """Listen on ``host:port`` (the same port every time); no-op if already running."""
        if self._controller is not None:
            return
        kwargs: dict[str, Any] = {}
        if self.tls:
            assert self.cert_path is not None and self.key_path is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert_path, self.key_path)
            kwargs = {
                "tls_context": context,
                "require_starttls": True,
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": True,
            }
        controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="localhost",  # skips socket.getfqdn(), which can be slow offline
            ready_timeout=10,
            **kwargs,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening (clients then get connection refused); received mail is kept."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- behaviour

    def fail_next(
        self,
        count: int = 1,
        code: int = 451,
        message: str | None = None,
        *,
        stage: FailStage = "data",
    ) -> None:
        """Answer the next ``count`` transactions with ``code`` (e.g. 451 or 421) at ``stage``.

        ``stage`` is where the reply is given: ``"mail"`` (MAIL FROM), ``"rcpt"`` (RCPT TO; each
        recipient counts as one) or ``"data"`` (after the message body, the default). Calls
        queue up in order. 421 makes aiosmtplib drop the connection, as a real server would.
        """
        if count < 1:
            return
        text = message or {
            421: "4.3.2 Service not available, closing transmission channel",
            450: "4.2.1 Mailbox unavailable, try again later",
            451: "4.3.0 Temporary local problem, try again later",
            452: "4.3.1 Insufficient system storage",
        }.get(code, "Temporary failure")
        with self._lock:
            self._failures.append(_Failure(count, code, text, stage))

    def throttle_for(
        self,
        seconds: float,
        code: int = 451,
        message: str = "4.7.500 Server busy. Please try again later.",
        *,
        stage: FailStage = "data",
    ) -> None:
        """Answer every transaction with ``code message`` (a throttling answer: "451 4.7.500
        Server busy", "421 4.7.0 Too many messages") for the next ``seconds``, then accept again."""
        with self._lock:
            self._throttle = (time.monotonic() + seconds, f"{code} {message}", stage)

    def reject_recipients(self, *addresses: str, code: int = 550, message: str | None = None) -> None:
        """Permanently refuse RCPT TO for these addresses (case-insensitive) until cleared."""
        with self._lock:
            for address in addresses:
                text = message or f"5.1.1 <{address}>: Recipient address rejected: User unknown"
                self._rejected[address.lower()] = f"{code} {text}"

    def reject_recipient(self, address: str, code: int = 550, message: str | None = None) -> None:
        """Permanently refuse RCPT TO for one address."""
        self.reject_recipients(address, code=code, message=message)

    def reset_behaviour(self) -> None:
        """Forget queued failures and rejected recipients."""
        with self._lock:
            self._failures.clear()
            self._rejected.clear()
            self._throttle = None

    def _take_failure(self, stage: FailStage) -> str | None:
        with self._lock:
            if self._throttle is not None and self._throttle[2] == stage:
                until, reply, _ = self._throttle
                if time.monotonic() < until:
                    self.throttled.append(time.time())
                    return reply
                self._throttle = None
            if not self._failures or self._failures[0].stage != stage:
                return None
            failure = self._failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.pop(0)
            return f"{failure.code} {failure.message}"

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode(errors="replace")
        ok = login == self.username and auth_data.password.decode(errors="replace") == self.password
        with self._lock:
            self.auth_attempts.append((login, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    # ------------------------------------------------------------ what came in

    def _record(self, message: ReceivedMessage) -> None:
        with self._lock:
            self._received.append(message)
            self._lock.notify_all()

    @property
    def received(self) -> list[ReceivedMessage]:
        """A snapshot of every accepted message, oldest first."""
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        """Forget the messages received so far."""
        with self._lock:
            self._received.clear()

    def messages_to(self, address: str) -> list[EmailMessage]:
        """Parsed messages whose envelope recipients include ``address`` (case-insensitive)."""
        wanted = address.lower()
        return [m.parsed() for m in self.received if wanted in (r.lower() for r in m.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages arrived; raise TimeoutError otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._received) >= count, timeout):
                raise TimeoutError(f"SmtpSink got {len(self._received)} message(s), expected {count}")
            return list(self._received)

    def client_tls_context(self) -> ssl.SSLContext:
        """An SSL context for clients that trusts this sink's self-signed certificate."""
        if self.cert_path is None:
            raise RuntimeError("this SmtpSink runs without TLS")
        return ssl.create_default_context(cafile=str(self.cert_path))
