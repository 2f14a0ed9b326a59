"""Signing in and out: ask for a one-time link by email; open it and press "Sign in" (a GET
never spends a link, so a mail scanner that opens links cannot use it up); sign out."""

from __future__ import annotations

from aiohttp import web

from clerk.access import request_link, sign_in, sign_out
from web.context import clerk_of, done, field, form, render, viewer, viewer_or_none
from web.cookies import clear_session_cookie, set_session_cookie

routes = web.RouteTableDef()


def _client(request: web.Request) -> str:
    """The client asking, for the per-client limit: the proxy's X-Forwarded-For when clerk is
    behind one on loopback, else the peer's address."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and peer in ("127.0.0.1", "::1"):
        return forwarded.split(",")[-1].strip()[:64]
    return peer[:64]


@routes.get("/sign-in")
async def sign_in_page(request: web.Request) -> web.StreamResponse:
    if viewer_or_none(request) is not None:
        raise web.HTTPSeeOther("/")
    return render(request, "console/sign_in.html", email="", error="")


@routes.post("/sign-in")
async def ask_for_link(request: web.Request) -> web.StreamResponse:
    data = await form(request)
    email = field(data, "email")
    result = request_link(clerk_of(request), email, client=_client(request))
    if result.status == "bad_address":
        return render(request, "console/sign_in.html", status=400, email=email,
                      error="Enter an email address in the correct format, like "
                            "name@example.org")
    if result.status == "limited":
        return render(request, "console/sign_in.html", status=429, email=email,
                      error="Too many sign-in links have been asked for. Use the last link "
                            "you were sent, or try again in an hour.")
    return render(request, "console/link_sent.html")


@routes.get("/sign-in/{token}")
async def confirm_page(request: web.Request) -> web.StreamResponse:
    return render(request, "console/sign_in_confirm.html", token=request.match_info["token"])


@routes.post("/sign-in/{token}")
async def spend_link(request: web.Request) -> web.StreamResponse:
    app = clerk_of(request)
    result = sign_in(app, request.match_info["token"])
    if result.status != "ok" or result.expires_at is None:
        return render(request, "console/sign_in_refused.html", status=400, why=result.status)
    response = web.HTTPSeeOther("/")
    max_age = int((result.expires_at - app.clock.now()).total_seconds())
    set_session_cookie(response, app, result.cookie, max_age)
    raise response


@routes.post("/sign-out")
async def sign_out_now(request: web.Request) -> web.StreamResponse:
    sign_out(clerk_of(request), viewer(request))
    response = done(request, "/sign-in")
    clear_session_cookie(response)
    raise response
