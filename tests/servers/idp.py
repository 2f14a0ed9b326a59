"""A fake identity provider on loopback (stdlib ``ThreadingHTTPServer``) for the OAuth2 mail tests.

It speaks:

- Microsoft's client-credentials grant: ``POST /{tenant}/oauth2/v2.0/token`` (client id, secret and
  scope ``https://outlook.office365.com/.default`` checked; a wrong secret gets Entra's 401
  ``invalid_client`` / ``AADSTS7000215``, an unknown tenant 400 ``invalid_request`` / ``AADSTS90002``);
- Google's JWT-bearer grant: ``POST /google/token``; the JWT's RS256 signature is verified with the
  public half of a key the test generated (``cryptography``, not the client's PyJWT), and its
  ``iss``, ``sub``, ``aud``, ``scope``, ``iat`` and ``exp`` (at most 3600 s later); a bad signature
  gets 400 ``invalid_grant``;
- a generic client-credentials grant: ``POST /generic/token``;
- the introspection endpoint Dovecot's ``oauth2`` passdb calls: ``POST /introspect`` answers
  ``{"active": true, "username": ...}`` for a token it issued that has not expired, else
  ``{"active": false}``.

Tokens are 2-3 KB (as Entra's are) and live ``lifetime`` seconds.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_BYTES = 1800  # random bytes: about 2.4 KB of token text


@dataclass
class Issued:
    username: str
    expires_at: float  # time.time()
    provider: str


@dataclass
class IdpRequest:
    path: str
    form: dict[str, str]
    status: int


@dataclass
class FakeIdentityProvider:
    """The identity provider; ``mailbox`` is the user Microsoft/generic app tokens act for."""

    mailbox: str
    tenant: str = "council.example"
    client_id: str = "11111111-2222-3333-4444-555555555555"
    client_secret: str = "right-secret"
    lifetime: int = 3599
    service_account_email: str = "clerk-mail@council-project.iam.gserviceaccount.com"
    host: str = "127.0.0.1"
    requests: list[IdpRequest] = field(default_factory=list)
    introspections: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, Issued] = {}
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = self._key.public_key()
        handler = type("Handler", (_Handler,), {"idp": self})
        self._server = ThreadingHTTPServer((self.host, 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake idp",
                                        daemon=True)

    # ---------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def google_token_url(self) -> str:
        return f"{self.url}/google/token"

    def start(self) -> FakeIdentityProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeIdentityProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- keys and tokens

    def service_account_json(self, path: Path, *, key: rsa.RSAPrivateKey | None = None) -> Path:
        """Write a Google service account key file (PKCS#8 PEM, as Google's are), mode 0600."""
        pem = (key or self._key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        path.write_text(json.dumps({
            "type": "service_account", "project_id": "council-project",
            "private_key_id": "0123456789abcdef", "private_key": pem,
            "client_email": self.service_account_email, "client_id": "109876543210",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.google_token_url}))
        path.chmod(0o600)
        return path

    def mint(self, username: str, provider: str = "test", lifetime: int | None = None) -> str:
        """A token of real size, valid for ``lifetime`` seconds (default: the provider's)."""
        token = "eyJ0eXAiOiJKV1Qi." + base64.urlsafe_b64encode(
            secrets.token_bytes(TOKEN_BYTES)).decode().rstrip("=")
        with self._lock:
            self._tokens[token] = Issued(username, time.time() + (lifetime or self.lifetime),
                                         provider)
        return token

    def user_of(self, token: str) -> str | None:
        """The mailbox a live token was issued for; None when unknown or expired."""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None or issued.expires_at <= time.time():
            return None
        return issued.username

    def expires_at(self, token: str) -> float | None:
        with self._lock:
            issued = self._tokens.get(token)
        return issued.expires_at if issued else None

    def issued(self, path_part: str = "") -> int:
        """How many tokens the grant endpoints gave out (those whose path holds ``path_part``)."""
        with self._lock:
            return sum(1 for r in self.requests if r.status == 200 and path_part in r.path)

    # ---------------------------------------------------------------- grants

    def _answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/introspect":
            with self._lock:
                self.introspections += 1
            user = self.user_of(form.get("token", ""))
            return 200, ({"active": True, "username": user} if user else {"active": False})
        if path == "/google/token":
            status, answer = self._google(form)
        elif path == "/generic/token":
            status, answer = self._client_credentials(form, "generic", scope="")
        elif path.endswith("/oauth2/v2.0/token"):
            tenant = path.split("/")[1]
            if tenant != self.tenant:
                status, answer = 400, {"error": "invalid_request", "error_description":
                                       f"AADSTS90002: Tenant '{tenant}' not found. Trace ID: x"}
            else:
                status, answer = self._client_credentials(form, "microsoft", MICROSOFT_SCOPE)
        else:
            status, answer = 404, {"error": "not_found"}
        with self._lock:
            self.requests.append(IdpRequest(path, form, status))
        return status, answer

    def _client_credentials(self, form: dict[str, str], provider: str,
                            scope: str) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            # Entra does not echo the secret; this one does, to show clerk never repeats the text
            sent = form.get("client_secret")
            return 401, {"error": "invalid_client", "error_description":
                         "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                         f"sent in the request is the client secret value. Sent: {sent}"}
        if scope and form.get("scope") != scope:
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: bad scope"}
        token = self.mint(self.mailbox, provider)
        return 200, {"token_type": "Bearer", "expires_in": self.lifetime,
                     "ext_expires_in": self.lifetime, "access_token": token}

    def _google(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != JWT_BEARER:
            return 400, {"error": "unsupported_grant_type"}
        refused = (400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        try:
            head, body, sig = form["assertion"].split(".")
            header = json.loads(_unb64(head))
            claims = json.loads(_unb64(body))
            self.public_key.verify(_unb64(sig), f"{head}.{body}".encode(), padding.PKCS1v15(),
                                   hashes.SHA256())
        except (KeyError, ValueError, InvalidSignature):
            return refused
        now = time.time()
        if header.get("alg") != "RS256" or claims.get("iss") != self.service_account_email or \
                claims.get("aud") != self.google_token_url or \
                claims.get("scope") != GOOGLE_SCOPE or not claims.get("sub") or \
                not (claims["iat"] - 60 <= now <= claims["exp"]) or claims["exp"] - claims["iat"] > 3600:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT claims."}
        token = "ya29." + self.mint(claims["sub"], "google")
        with self._lock:  # the ya29. form is the one handed out
            self._tokens[token] = self._tokens.pop(token[5:])
        return 200, {"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer"}


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Handler(BaseHTTPRequestHandler):
    idp: FakeIdentityProvider
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        status, answer = self.idp._answer(self.path, form)
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass
