"""The audit log (``/audit``): events newest first, a page at a time, by meeting (its reference)
or by person (chosen from a list: their id, never an address, goes in the URL); only events
about the bodies the viewer serves (an administrator: all), and who voted in a ratification vote
(and how) only to the body's facilitator (:func:`clerk.rules.access.votes_hidden`). "Verify the
chain" checks every row's hash, as ``clerk audit verify`` does (``/audit/verify``, reads only)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from clerk.errors import NotFound
from clerk.meetings import get_meeting, list_meetings
from clerk.rules.access import audit_bodies, votes_hidden
from clerk.store import audit
from clerk.times import from_iso, in_words
from web.context import Forbidden, body_for, clerk_of, render, viewer

routes = web.RouteTableDef()

PAGE_SIZE = 50


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


def _summary(values: dict[str, Any]) -> str:
    """An event's detail or evidence on one line (long values cut: the log keeps them whole)."""
    parts = []
    for key, value in values.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {shown if len(shown) <= 120 else shown[:117] + '...'}")
    return "; ".join(parts)


async def _page(request: web.Request, chain: audit.ChainCheck | None = None) -> web.Response:
    app = clerk_of(request)
    who = viewer(request)
    bodies = audit_bodies(who.served)
    scope = sorted(bodies) if bodies is not None else None
    query = request.query
    meeting_ref = query.get("meeting", "").strip()
    meeting_title = ""
    if meeting_ref:
        try:
            meeting = get_meeting(app, meeting_ref)
        except NotFound:
            raise web.HTTPNotFound() from None
        body = body_for(request, meeting.body)
        meeting_ref = meeting.ref
        meeting_title = f"{body.label}, {in_words(meeting.starts_at, app.tz)}"
    people = audit.people_to_filter_by(app.store.db, scope)
    person_id = _number(query.get("person", ""))
    if query.get("person", "") and person_id is None:
        raise web.HTTPNotFound()
    person = None
    if person_id is not None:
        person = next((p for p in people if p.id == person_id), None)
        if person is None:
            if not any(p.id == person_id for p in audit.people_to_filter_by(app.store.db, None)):
                raise web.HTTPNotFound()
            raise Forbidden()
    page = audit.read_events(app.store.db, meeting=meeting_ref,
                             person=person.email if person else "", bodies=scope,
                             votes_hidden=sorted(votes_hidden(who.served, app.config.bodies)),
                             before=_number(query.get("before", "")), limit=PAGE_SIZE)
    filters = "".join(f"&{k}={v}" for k, v in (("meeting", meeting_ref),
                                               ("person", person_id or "")) if v)
    meetings = [(m.ref, f"{m.ref} ({app.config.bodies[m.body].label})")
                for m in reversed(list_meetings(app)) if who.served.serves(m.body)]
    return render(request, "console/audit.html", chain=chain, people=people, meetings=meetings,
                  meeting_ref=meeting_ref, meeting_title=meeting_title, person=person,
                  all_bodies=scope is None,
                  events=[{"id": e.id, "when": in_words(from_iso(e.at), app.tz), "actor": e.actor,
                           "action": e.action, "subject": e.subject, "channel": e.channel,
                           "detail": _summary(e.detail), "evidence": _summary(e.evidence)}
                          for e in page.events],
                  older=f"/audit?before={page.older}{filters}" if page.older else "",
                  newest=f"/audit?{filters[1:]}" if query.get("before") else "")


@routes.get("/audit")
async def audit_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@routes.get("/audit/verify")
async def verify_chain(request: web.Request) -> web.StreamResponse:
    return await _page(request, audit.verify_chain(clerk_of(request).store.db))
