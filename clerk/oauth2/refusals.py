"""An identity provider's refusal in one sentence: its error code, and what an administrator
checks. The provider's own description is not repeated (only its AADSTS code), so nothing it
echoes back can reach a log."""

from __future__ import annotations

import re

from clerk.config import OAuth2Settings

_AADSTS_HINTS = {
    "AADSTS7000215": "the client secret is wrong or has expired: make a new one in the app "
                     "registration and put it in ${env}",
    "AADSTS7000222": "the client secret has expired: make a new one in the app registration and "
                     "put it in ${env}",
    "AADSTS700016": "no application with client_id {client_id} is registered in the tenant "
                    "{tenant}: check [mail.oauth2] client_id and tenant",
    "AADSTS90002": "the tenant {tenant} does not exist: check [mail.oauth2] tenant (the tenant id "
                   "or one of its domains)",
    "AADSTS900023": "{tenant} is not a tenant id or domain: check [mail.oauth2] tenant",
    "AADSTS65001": "an administrator has not given consent to the app's permissions "
                   "(IMAP.AccessAsApp, SMTP.SendAsApp): grant admin consent in Entra",
    "AADSTS7000112": "the application is disabled in the tenant: enable it in Entra",
    "AADSTS70011": "the scope is not valid: check [mail.oauth2] scopes",
}

_CODE_HINTS = {
    "microsoft": {
        "invalid_client": "check [mail.oauth2] client_id and the client secret in ${env}",
        "unauthorized_client": "check that the app registration may use the client-credentials grant",
        "invalid_scope": "check [mail.oauth2] scopes",
        "invalid_request": "check [mail.oauth2] tenant and client_id",
    },
    "google": {
        "invalid_grant": "check that the service account key in {key_file} has not been deleted "
                         "or revoked, that {username} exists, and this machine's clock",
        "unauthorized_client": "check the domain-wide delegation for the service account's client "
                               "id in the Google Admin console, with the scope "
                               "https://mail.google.com/",
        "invalid_client": "check that the service account still exists and its key in {key_file}",
        "invalid_scope": "check [mail.oauth2] scopes",
    },
    "generic": {
        "invalid_client": "check [mail.oauth2] client_id and the client secret in ${env}",
        "invalid_scope": "check [mail.oauth2] scopes",
    },
}


def refusal_sentence(settings: OAuth2Settings, who: str, username: str, status: int,
                     error: str, description: str) -> str:
    """``Microsoft Entra ID refused clerk's token request (invalid_client, AADSTS7000215): ...``"""
    values = {"env": settings.client_secret_env, "client_id": settings.client_id,
              "tenant": settings.tenant, "username": username,
              "key_file": str(settings.service_account_file or "")}
    aadsts = re.search(r"\bAADSTS\d+\b", description)
    codes = [c for c in (error or f"HTTP {status}", aadsts.group(0) if aadsts else "") if c]
    hint = (_AADSTS_HINTS.get(aadsts.group(0)) if aadsts else None) or \
        _CODE_HINTS[settings.provider].get(error) or \
        "check the [mail.oauth2] settings and the app's permissions with the identity provider"
    safe_code = ", ".join(re.sub(r"[^A-Za-z0-9_. -]", "", c)[:60] for c in codes)
    return f"{who} refused clerk's token request ({safe_code}): {hint.format(**values)}"
