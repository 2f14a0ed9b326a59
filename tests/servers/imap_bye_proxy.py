"""A TCP proxy in front of an IMAP server that ends a session as Exchange Online does when its
OAuth2 token has expired: ``* BYE Session invalidated - AccessTokenExpired``, sent while the
server is quiet (Dovecot itself never re-checks a token after login).

It reads the token from the client's ``AUTHENTICATE XOAUTH2`` (with or without SASL-IR) and asks
the fake identity provider when it ends; ``expire_after`` ends every session that many seconds
after its login instead, whatever its token.
"""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import threading
import time

from .idp import FakeIdentityProvider
from .ports import free_port

BYE = b"* BYE Session invalidated - AccessTokenExpired\r\n"


class ExpiringSessionProxy:
    def __init__(self, upstream_port: int, idp: FakeIdentityProvider, *, host: str = "127.0.0.1",
                 expire_after: float | None = None) -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.idp = idp
        self.expire_after = expire_after
        self.port = free_port(host)
        self.byes = 0
        self.logins = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server((host, self.port))
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, name="imap proxy", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.close()

    def __enter__(self) -> ExpiringSessionProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection((self.host, self.upstream_port), timeout=10)
        except OSError:
            client.close()
            return
        token: str | None = None
        logged_in_at = 0.0
        sasl_next = False
        pending = b""
        with client, upstream:
            while not self._stopped.is_set():
                readable, _, _ = select.select([client, upstream], [], [], 0.1)
                if client in readable:
                    data = client.recv(65536)
                    if not data:
                        return
                    pending += data
                    while b"\r\n" in pending:
                        line, pending = pending.split(b"\r\n", 1)
                        words = line.split()
                        if len(words) >= 3 and words[1].upper() == b"AUTHENTICATE" and \
                                words[2].upper() == b"XOAUTH2":
                            if len(words) > 3:
                                token = _token(words[3])
                                logged_in_at = time.monotonic()
                                with self._lock:
                                    self.logins += 1
                            else:
                                sasl_next = True
                        elif sasl_next:
                            sasl_next = False
                            token = _token(line.strip())
                            logged_in_at = time.monotonic()
                            with self._lock:
                                self.logins += 1
                    upstream.sendall(data)
                if upstream in readable:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    client.sendall(data)
                if not readable and token is not None and self._expired(token, logged_in_at):
                    with self._lock:
                        self.byes += 1
                    with contextlib.suppress(OSError):
                        client.sendall(BYE)
                    return

    def _expired(self, token: str, logged_in_at: float) -> bool:
        if self.expire_after is not None:
            return time.monotonic() - logged_in_at >= self.expire_after
        ends = self.idp.expires_at(token)
        return ends is not None and ends <= time.time()


def _token(b64: bytes) -> str | None:
    try:
        decoded = base64.b64decode(b64)
    except ValueError:
        return None
    for part in decoded.split(b"\x01"):
        if part.startswith(b"auth=Bearer "):
            return part[len(b"auth=Bearer "):].decode(errors="replace")
    return None
