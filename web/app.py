"""The console's aiohttp application: its pages (:mod:`web.pages`), its static files, and the
middlewares every request passes: security headers, the session, CSRF on every form, and errors
turned into pages (never a traceback)."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from clerk.access import viewer_for
from clerk.app import Clerk
from clerk.errors import ClerkError
from web.context import CLERK, PRE_CSRF, PRE_CSRF_COOKIE, VIEWER, Forbidden, csrf_token, render
from web.cookies import SESSION_COOKIE, secure
from web.pages import PAGES

log = logging.getLogger("clerk.console")

STATIC = Path(__file__).resolve().parent / "static"
#: Uploads (papers, minutes, a members CSV) up to this size in one request.
MAX_REQUEST = 50 * 1024 * 1024
#: Paths anyone may open without signing in.
PUBLIC = ("/sign-in", "/static/", "/healthz", "/privacy")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # a sign-in link's token is in its path: never pass it on to another site
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _harden(request, exc)
        raise
    _harden(request, response)
    return response


def _harden(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"  # pages hold personal data


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals and failures as pages: a service's sentence, 403, 404, and a plain apology for
    anything unexpected (logged with its traceback, never shown)."""
    try:
        return await handler(request)
    except Forbidden:
        return render(request, "console/error.html", status=403, title="You cannot see this page",
                      message="This page belongs to a body you do not serve. Ask its facilitator "
                              "if you need it.")
    except web.HTTPRequestEntityTooLarge:
        return render(request, "console/error.html", status=413, title="That is too large",
                      message=f"The console takes up to {MAX_REQUEST // (1024 * 1024)} MB in one "
                              "go. Send large files one at a time, or ask for them to be made "
                              "smaller. Nothing was changed.")
    except web.HTTPNotFound:
        return render(request, "console/error.html", status=404, title="Page not found",
                      message="If you typed the address, check it is correct.")
    except web.HTTPException:
        raise
    except ClerkError as exc:
        return render(request, "console/error.html", status=400, title="That cannot be done",
                      message=str(exc))
    except Exception:
        log.exception("console: %s %s failed", request.method, request.path)
        return render(request, "console/error.html", status=500,
                      title="Sorry, there is a problem with the console",
                      message="Nothing was changed by the last action unless the page says so. "
                              "Try again; if it happens again, tell your IT team (the details "
                              "are in clerk's log).")


@web.middleware
async def session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is signed in; everyone else may open only the sign-in pages. Before signing in, a
    random cookie protects the sign-in forms (double submit)."""
    app: Clerk = request.app[CLERK]
    cookie = request.cookies.get(SESSION_COOKIE, "")
    who = viewer_for(app, cookie) if cookie else None
    if who is not None:
        request[VIEWER] = who
        return await handler(request)
    if not request.path.startswith(PUBLIC) and request.path != "/sign-in":
        if request.method in ("GET", "HEAD"):
            raise web.HTTPSeeOther("/sign-in")
        raise web.HTTPForbidden(text="Sign in first.")
    pre = request.cookies.get(PRE_CSRF_COOKIE, "")
    fresh = not pre or len(pre) > 64
    request[PRE_CSRF] = secrets.token_urlsafe(24) if fresh else pre
    response = await handler(request)
    if fresh and not request.path.startswith("/static/"):
        response.set_cookie(PRE_CSRF_COOKIE, request[PRE_CSRF], httponly=True,
                            samesite="Strict", path="/", secure=secure(app))
    return response


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every POST carries the CSRF token of the session (or of the sign-in pages)."""
    if request.method == "POST":
        expected = csrf_token(request)
        data = await request.post()
        given = data.get("csrf", "")
        if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
            return render(request, "console/error.html", status=403,
                          title="This form has expired",
                          message="Go back, reload the page and try again (forms stop working "
                                  "when you sign out or your session ends).")
    return await handler(request)


def make_console(app: Clerk) -> web.Application:
    """The console for ``app``: serve it with ``web.AppRunner`` (``web.worker`` does, in
    ``clerk run``)."""
    console = web.Application(middlewares=[security_headers, errors, session, csrf],
                              client_max_size=MAX_REQUEST)
    console[CLERK] = app
    for page in PAGES:
        console.add_routes(page)
    console.router.add_get("/healthz", _health)
    if STATIC.is_dir():
        console.router.add_static("/static/", STATIC, append_version=False)
    return console


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")
