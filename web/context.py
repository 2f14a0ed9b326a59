"""What a console page handler needs from the request: who is signed in (:func:`viewer`), the
body they may act for (:func:`body_for`, the one authorisation check), the form (CSRF checked by
the middleware), rendering a template (:func:`render`) and redirecting with a message
(:func:`done`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from aiohttp import web
from markupsafe import Markup, escape
from multidict import MultiDictProxy

from clerk.access import Viewer
from clerk.app import Clerk
from clerk.messages import environment
from clerk.rules.terms import Body

CHANNEL = "console"
CLERK: web.AppKey[Clerk] = web.AppKey("clerk", Clerk)
VIEWER: web.RequestKey[Viewer] = web.RequestKey("viewer", Viewer)
FLASH_COOKIE = "clerk_flash"
#: The cookie that protects the sign-in forms (before there is a session) against CSRF.
PRE_CSRF_COOKIE = "clerk_pre"
PRE_CSRF: web.RequestKey[str] = web.RequestKey("pre_csrf", str)


class Forbidden(web.HTTPForbidden):
    """The viewer does not serve the body a page belongs to (shown as a page, see app.py)."""


def clerk_of(request: web.Request) -> Clerk:
    return request.app[CLERK]


def viewer_or_none(request: web.Request) -> Viewer | None:
    return request.get(VIEWER)


def viewer(request: web.Request) -> Viewer:
    """The signed-in person (the middleware sends everyone else to the sign-in page)."""
    found = viewer_or_none(request)
    if found is None:
        raise web.HTTPSeeOther("/sign-in")
    return found


def actor(request: web.Request) -> str:
    """Who did it, for the audit log: the signed-in person's address."""
    return viewer(request).email


def body_for(request: web.Request, slug: str) -> Body:
    """The body ``slug``, if the viewer serves it: 404 for no such body, 403 otherwise. Every
    page and form about a body, a meeting or a vote goes through here."""
    app = clerk_of(request)
    body = app.config.bodies.get(slug)
    if body is None:
        raise web.HTTPNotFound()
    if not viewer(request).served.serves(slug):
        raise Forbidden()
    return body


Form = MultiDictProxy[str | bytes | bytearray | web.FileField]


async def form(request: web.Request) -> Form:
    """The posted form (its CSRF token was checked before the handler ran)."""
    return await request.post()


def field(data: Form, name: str) -> str:
    """A text field of a form, stripped ('' when missing or a file)."""
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _flash_signature(key: str, payload: str) -> str:
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()[:24]


def done(request: web.Request, location: str, message: str = "") -> web.HTTPSeeOther:
    """A 303 to ``location`` that shows ``message`` once on the page it leads to (a signed
    cookie: a page that shows it writes nothing). Raise or return it."""
    response = web.HTTPSeeOther(location)
    who = viewer_or_none(request)
    if message and who is not None:
        payload = base64.urlsafe_b64encode(json.dumps(message[:600]).encode()).decode()
        response.set_cookie(FLASH_COOKIE, f"{payload}.{_flash_signature(who.csrf, payload)}",
                            httponly=True, samesite="Lax", path="/", max_age=60)
    return response


def _flash(request: web.Request) -> str:
    raw = request.cookies.get(FLASH_COOKIE, "")
    who = viewer_or_none(request)
    payload, dot, signature = raw.partition(".")
    if not dot or who is None or not hmac.compare_digest(signature,
                                                         _flash_signature(who.csrf, payload)):
        return ""
    try:
        text = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return ""
    return text if isinstance(text, str) else ""


def csrf_token(request: web.Request) -> str:
    who = viewer_or_none(request)
    return who.csrf if who is not None else request.get(PRE_CSRF, "")


def render(request: web.Request, template: str, *, status: int = 200,
           **context: Any) -> web.Response:
    """The page ``templates/console/NAME`` with what every page shows (who is signed in, the
    navigation, a message left by the last action, the CSRF field for its forms)."""
    token = csrf_token(request)
    who = viewer_or_none(request)
    app = clerk_of(request)
    flash = _flash(request)
    page = environment().get_template(template).render(
        viewer=who, organisation=app.config.clerk.organisation, flash=flash,
        path=request.path, csrf_field=lambda: Markup(
            f'<input type="hidden" name="csrf" value="{escape(token)}">'),
        bodies=[(slug, app.config.bodies[slug]) for slug in sorted(who.bodies)] if who else [],
        **context)
    response = web.Response(text=page, content_type="text/html", status=status)
    if flash:
        response.del_cookie(FLASH_COOKIE, path="/")
    return response
