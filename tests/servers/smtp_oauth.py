"""An SMTP sink that takes only SASL XOAUTH2, each token checked with the fake identity provider
(as Exchange Online and Gmail do), and AUTH lines of real-token size (aiosmtpd's own limit is 512
bytes; RFC 4954 allows 12288)."""

from __future__ import annotations

import base64
import collections
import warnings
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from .idp import FakeIdentityProvider
from .smtp import SmtpSink, _Handler

warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


class _LongAuthSMTP(SMTP):
    line_length_limit = 16384

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command_size_limits: collections.defaultdict[str, int] = \
            collections.defaultdict(lambda: 512)
        self.command_size_limits["AUTH"] = 16384


class _LongAuthController(Controller):
    def factory(self) -> SMTP:
        return _LongAuthSMTP(self.handler, **self.SMTP_kwargs)


class _OAuthHandler(_Handler):
    sink: OAuthSmtpSink

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) > 1:
            answer = base64.b64decode(args[1])
        else:
            challenge = await server.challenge_auth(b"", encode_to_b64=False)
            answer = challenge if isinstance(challenge, bytes) else b""
        fields = dict(part.split(b"=", 1) for part in answer.split(b"\x01") if b"=" in part)
        user = fields.get(b"user", b"").decode()
        bearer = fields.get(b"auth", b"").decode()
        token = bearer[len("Bearer "):] if bearer.startswith("Bearer ") else ""
        owner = self.sink.idp.user_of(token)
        ok = owner is not None and owner.lower() == user.lower()
        with self.sink._lock:
            self.sink.auth_attempts.append((user, ok))
            self.sink.token_lengths.append(len(token))
        if not ok:
            await server.challenge_auth(b'{"status":"401","schemes":"bearer"}')
            return AuthResult(success=False, handled=False,
                              message="535 5.7.3 Authentication unsuccessful")
        return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))


class OAuthSmtpSink(SmtpSink):
    """An :class:`SmtpSink` (no TLS, on loopback) that requires AUTH XOAUTH2 with a live token."""

    def __init__(self, idp: FakeIdentityProvider, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.idp = idp
        self.token_lengths: list[int] = []

    def start(self) -> None:
        if self._controller is not None:
            return
        controller = _LongAuthController(
            _OAuthHandler(self), hostname=self.host, port=self.port, server_hostname="localhost",
            ready_timeout=10, auth_required=True, auth_require_tls=False,
            auth_exclude_mechanism=["LOGIN", "PLAIN"])
        controller.start()
        self._controller = controller
