"""Signing in to the console: a one-time link (emailed on request, or printed by ``clerk
console link``), spent by the browser for a session; the session read on each request; signing
out. Every step is audited; the refusals carry codes the console turns into words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from clerk.access.served import served_by
from clerk.app import Clerk
from clerk.errors import Refused
from clerk.messages import render_email
from clerk.outbox.mail import queue
from clerk.outbox.outgoing import Outgoing
from clerk.people.directory import find_person, is_email, normalise_email
from clerk.rules.access import LINK_WINDOW_MINUTES, Served, may_send_link
from clerk.store import audit
from clerk.times import in_words
from clerk.tokens.console import (
    end_session,
    issue_link,
    recent_links,
    session_of,
    start_session,
    use_link,
)

CHANNEL = "console"


def link_for(app: Clerk, token: str) -> str:
    """The address of a sign-in link, as a person opens it."""
    return f"{app.config.web.base_url}/sign-in/{token}"


@dataclass(frozen=True)
class LinkRequest:
    """What became of a request for a link. The page says the same for ``sent`` and
    ``not_allowed`` (whether an address may sign in is not told to strangers)."""

    status: Literal["sent", "not_allowed", "limited", "bad_address"]


def request_link(app: Clerk, email: str, *, client: str) -> LinkRequest:
    """Email a one-time sign-in link to ``email`` if it may use the console (within the limits
    of :func:`clerk.rules.access.may_send_link`)."""
    address = normalise_email(email)
    if not is_email(address):
        return LinkRequest("bad_address")
    now = app.clock.now()
    with app.store.write() as db:
        served = served_by(app, db, address)
        to_address, from_client = recent_links(
            db, email=address, client=client, since=now - timedelta(minutes=LINK_WINDOW_MINUTES))
        pace = may_send_link(to_address, from_client)
        if not pace.ok:
            audit.record(db, at=now, actor="unknown client", action="console.link_limited",
                         subject="console", channel=CHANNEL, detail={"why": pace.code})
            return LinkRequest("limited")
        if not served.may_sign_in:
            # a link made and thrown away: the limits count it exactly as one sent, so they
            # cannot tell which addresses may sign in
            issue_link(db, address, client, now)
            audit.record(db, at=now, actor="unknown address", action="console.link_refused",
                         subject="console", channel=CHANNEL)
            return LinkRequest("not_allowed")
        issued = issue_link(db, address, client, now)
        person = find_person(db, address)
        name = person.name if person and person.name != person.email else "Facilitator"
        r = render_email("console_link", recipient_name=name, link=link_for(app, issued.token),
                         expires=in_words(issued.expires_at, app.tz))
        queue(db, app.config.mail, Outgoing(
            kind="console_link", to_addr=address, to_name=name, subject=r.subject, text=r.text,
            html=r.html), now)
        audit.record(db, at=now, actor=address, action="console.link_sent", subject="console",
                     channel=CHANNEL)
    return LinkRequest("sent")


def print_link(app: Clerk, email: str, *, actor: str = "shell") -> str:
    """A one-time sign-in link for ``email``, to print (``clerk console link``): for the first
    sign-in on a fresh install. Refused for an address that serves no body."""
    address = normalise_email(email)
    now = app.clock.now()
    with app.store.write() as db:
        if not served_by(app, db, address).may_sign_in:
            raise Refused(f"{address} is not the facilitator, chair or vice-chair of any body, "
                          "nor in [web] admins, so it cannot sign in to the console")
        issued = issue_link(db, address, "", now)
        audit.record(db, at=now, actor=actor, action="console.link_printed", subject="console",
                     channel="cli", detail={"for": address})
    return link_for(app, issued.token)


@dataclass(frozen=True)
class SignIn:
    """A link spent: ``cookie`` is the new session's cookie value when ``status`` is ``ok``."""

    status: Literal["ok", "used", "expired", "unknown", "not_allowed"]
    cookie: str = ""
    expires_at: datetime | None = None


def sign_in(app: Clerk, token: str) -> SignIn:
    """Spend a one-time link for a session (once only; a used or expired link is refused)."""
    now = app.clock.now()
    with app.store.write() as db:
        check = use_link(db, token, now)
        if check.status != "ok":
            audit.record(db, at=now, actor="unknown", action="console.sign_in_refused",
                         subject="console", channel=CHANNEL, detail={"why": check.status})
            return SignIn(check.status)
        if not served_by(app, db, check.email).may_sign_in:  # no longer serves a body
            audit.record(db, at=now, actor=check.email, action="console.sign_in_refused",
                         subject="console", channel=CHANNEL, detail={"why": "not_allowed"})
            return SignIn("not_allowed")
        session, cookie = start_session(db, check.email, now)
        audit.record(db, at=now, actor=check.email, action="console.sign_in", subject="console",
                     channel=CHANNEL)
    return SignIn("ok", cookie, session.expires_at)


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, what they serve, and their session's CSRF token."""

    email: str
    name: str
    served: Served
    session_id: int
    csrf: str

    @property
    def bodies(self) -> frozenset[str]:
        return self.served.bodies

    @property
    def is_admin(self) -> bool:
        return self.served.admin


def viewer_for(app: Clerk, cookie: str) -> Viewer | None:
    """The person a session cookie signs in (reads only): None when there is no live session,
    or its holder no longer serves any body."""
    db = app.store.db
    session = session_of(db, cookie, app.clock.now())
    if session is None:
        return None
    served = served_by(app, db, session.email)
    if not served.may_sign_in:
        return None
    person = find_person(db, session.email)
    name = person.name if person and person.name != person.email else session.email
    return Viewer(session.email, name, served, session.id, session.csrf)


def sign_out(app: Clerk, viewer: Viewer) -> None:
    now = app.clock.now()
    with app.store.write() as db:
        end_session(db, viewer.session_id, now)
        audit.record(db, at=now, actor=viewer.email, action="console.sign_out",
                     subject="console", channel=CHANNEL)
