"""The console's session cookie: signed (its value carries an HMAC, see
:mod:`clerk.tokens.console`), HttpOnly, SameSite=Lax, Secure behind an https proxy, expiring with
the session."""

from __future__ import annotations

from aiohttp import web

from clerk.app import Clerk

SESSION_COOKIE = "clerk_session"


def secure(app: Clerk) -> bool:
    """Whether cookies are marked Secure: when people reach the console over https."""
    return app.config.web.public_url.startswith("https://")


def set_session_cookie(response: web.StreamResponse, app: Clerk, value: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="Lax", path="/",
                        max_age=max_age, secure=secure(app))


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
