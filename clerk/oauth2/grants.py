"""The token request each provider wants: Microsoft's and a generic client-credentials grant, and
Google's JWT-bearer grant signed with a service account's key (PyJWT, RS256)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from clerk.config import OAuth2Settings, secret
from clerk.oauth2.errors import TokenRefused

MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
MICROSOFT_SCOPES = ("https://outlook.office365.com/.default",)
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_SCOPES = ("https://mail.google.com/",)
JWT_LIFETIME = 3600  # seconds: the most Google accepts
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class TokenRequest:
    """One POST to a token endpoint (form-encoded)."""

    url: str
    form: dict[str, str]


def provider_name(settings: OAuth2Settings) -> str:
    """How messages name the identity provider."""
    if settings.provider == "microsoft":
        return "Microsoft Entra ID"
    if settings.provider == "google":
        return "Google"
    return f"the identity provider at {urlsplit(settings.token_url).netloc or settings.token_url}"


def token_request(settings: OAuth2Settings, username: str) -> TokenRequest:
    """The request for a new token for ``username``'s mailbox; TokenRefused if a secret or the
    key file is missing or unusable (nothing to ask the provider with)."""
    if settings.provider == "google":
        return _google(settings, username)
    value = secret(settings.client_secret_env)
    if not value:
        raise TokenRefused(f"the OAuth2 client secret is not set: put it in the environment variable "
                           f"{settings.client_secret_env} (for the service: its environment file)",
                           code="no_secret")
    if settings.provider == "microsoft":
        url = settings.token_url or MICROSOFT_TOKEN_URL.format(tenant=settings.tenant)
        scopes = settings.scopes or list(MICROSOFT_SCOPES)
    else:
        url, scopes = settings.token_url, settings.scopes
    form = {"grant_type": "client_credentials", "client_id": settings.client_id,
            "client_secret": value}
    if scopes:
        form["scope"] = " ".join(scopes)
    return TokenRequest(url, form)


def service_account(path: Path) -> dict[str, str]:
    """The fields clerk uses from a Google service account's JSON key file."""
    where = f"the service account key file {path}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TokenRefused(f"{where} does not exist: check [mail.oauth2] service_account_file",
                           code="key_file") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TokenRefused(f"cannot read {where} ({type(exc).__name__}): download the service "
                           "account's JSON key again", code="key_file") from exc
    fields = ("client_email", "private_key")
    if not isinstance(data, dict) or any(not isinstance(data.get(f), str) for f in fields):
        raise TokenRefused(f"{where} is not a service account key (no client_email or "
                           "private_key): download the service account's JSON key again",
                           code="key_file")
    return {k: str(v) for k, v in data.items() if isinstance(v, str)}


def _google(settings: OAuth2Settings, username: str) -> TokenRequest:
    assert settings.service_account_file is not None  # the configuration requires it
    key = service_account(settings.service_account_file)
    url = settings.token_url or key.get("token_uri") or GOOGLE_TOKEN_URL
    now = int(time.time())
    claims = {"iss": key["client_email"], "sub": username, "aud": url,
              "scope": " ".join(settings.scopes or GOOGLE_SCOPES), "iat": now,
              "exp": now + JWT_LIFETIME}
    headers = {"kid": key["private_key_id"]} if key.get("private_key_id") else None
    import jwt  # PyJWT and cryptography: ~70 ms and ~10 MB, loaded only where Google is used

    try:
        assertion = jwt.encode(claims, key["private_key"], algorithm="RS256", headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise TokenRefused(f"the private key in {settings.service_account_file} cannot sign "
                           f"({type(exc).__name__}): download the service account's JSON key again",
                           code="key_file") from exc
    return TokenRequest(url, {"grant_type": JWT_BEARER, "assertion": assertion})
