"""Action points in the console: a meeting's actions (what was read from its minutes, with what
could not be read; correct one, add one, mark one done, as ``clerk actions`` does) at
``/meetings/{ref}/actions``, and a body's open actions at ``/bodies/{slug}/actions``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from aiohttp import web

from clerk.actions import Action, AddAction, UpdateAction, add_action, list_actions, update_action
from clerk.errors import ClerkError, NotFound
from clerk.meetings import Meeting
from clerk.reading.action_text import read_date
from clerk.rules.terms import Body
from clerk.times import day_in_words
from web.context import CHANNEL, actor, body_for, clerk_of, done, field, form, render
from web.pages.agenda import meeting_of, meeting_title

routes = web.RouteTableDef()

#: What each problem code of an action means, as the console says it.
PROBLEMS = {"no_owner": "No owner was written", "no_text": "No action was written",
            "no_date": "No due date", "bad_date": "The date is not a date",
            "unknown_owner": "The owner is not a member and has no email address",
            "ambiguous_owner": "Two members have that name"}


def _today(request: web.Request) -> date:
    app = clerk_of(request)
    return app.clock.now().astimezone(app.tz).date()


def _shown(request: web.Request, action: Action) -> dict[str, Any]:
    today = _today(request)
    return {"id": action.id, "text": action.text, "owner": action.owner_name,
            "email": action.owner_email, "due": action.due.isoformat() if action.due else "",
            "due_words": action.due.strftime("%-d %B %Y") if action.due else "",
            "first_due": action.first_due.strftime("%-d %B %Y")
            if action.due_changed and action.first_due else "",
            "status": action.status, "state": action.state(today).code, "line": action.line,
            "meeting": action.meeting_ref,
            "meeting_day": day_in_words(action.meeting_starts_at, clerk_of(request).tz),
            "problems": [PROBLEMS.get(p, p) for p in action.problems],
            "updates": [{"at": u.at.astimezone(clerk_of(request).tz).strftime("%-d %B %Y %H:%M"),
                         "by": u.actor, "channel": u.channel, "kind": u.kind.replace("_", " "),
                         "said": u.said} for u in action.updates]}


def actions_page(request: web.Request, meeting: Meeting, body: Body, *,
                 errors: Sequence[tuple[str, str]] = (), values: dict[str, str] | None = None,
                 status: int = 200) -> web.Response:
    app = clerk_of(request)
    found = list_actions(app, meeting=meeting.ref)
    title = meeting_title(request, meeting, body)
    return render(request, "console/actions.html", status=status, errors=list(errors),
                  meeting=meeting, body=body, meeting_title=title, title=f"Actions: {title}",
                  actions=[_shown(request, a) for a in found], values=values or {})


def _sentence(text: str) -> str:
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else ""


def _due(text: str, today: date) -> date | None:
    if not text:
        return None
    found = read_date(text, today)
    if not found:
        raise ValueError("Enter the due date as a date, for example 14 March 2027")
    return found


@routes.get("/meetings/{ref}/actions")
async def show_actions(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    return actions_page(request, meeting, body)


@routes.post("/meetings/{ref}/actions")
async def add(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    data = await form(request)
    values = {name: field(data, name) for name in ("text", "owner", "email", "due")}
    try:
        due = _due(values["due"], _today(request))
    except ValueError as exc:
        return actions_page(request, meeting, body, errors=[("due", str(exc))], values=values,
                            status=400)
    try:
        result = add_action(clerk_of(request), AddAction(
            meeting.ref, values["text"], values["owner"], email=values["email"], due=due,
            channel=CHANNEL, actor=actor(request)))
    except ClerkError as exc:
        return actions_page(request, meeting, body, errors=[("text", _sentence(str(exc)))],
                            values=values, status=400)
    raise done(request, f"/meetings/{meeting.ref}/actions", _sentence(result.message))


def _action_of(request: web.Request, meeting: Meeting) -> Action:
    number = request.match_info["id"]
    found = [a for a in list_actions(clerk_of(request), meeting=meeting.ref)
             if str(a.id) == number]
    if not found:
        raise web.HTTPNotFound()
    return found[0]


@routes.post(r"/meetings/{ref}/actions/{id:\d+}")
async def edit(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    action = _action_of(request, meeting)
    data = await form(request)
    status = field(data, "status") or None
    try:
        due = _due(field(data, "due"), _today(request))
        owner = field(data, "owner")
        email = field(data, "email")
        result = update_action(clerk_of(request), UpdateAction(
            action.id, text=field(data, "text") or None,
            owner=owner if owner and owner != action.owner_name else None,
            email=email if email and email != action.owner_email else "",
            due=due, status=status, channel=CHANNEL, actor=actor(request)))
    except (ClerkError, ValueError) as exc:
        return actions_page(request, meeting, body, errors=[(f"action-{action.id}",
                                                             _sentence(str(exc)))], status=400)
    raise done(request, f"/meetings/{meeting.ref}/actions", _sentence(result.message))


@routes.get("/bodies/{slug}/actions")
async def body_actions(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    body = body_for(request, slug)
    try:
        found = list_actions(clerk_of(request), slug, open_only=True)
    except NotFound:
        raise web.HTTPNotFound() from None
    return render(request, "console/body_actions.html", body=body, slug=slug,
                  title=f"Open actions: {body.name}",
                  actions=[_shown(request, a) for a in found])
