"""Observers at a meeting (``/meetings/{ref}/observers``): the places booked and on offer, the
waiting list in order, and the questions observers asked; a clear line when the body does not
meet in public. (Observers book and cancel in the chat; the CLI has no command to cancel a
booking for them, so neither has the console.)"""

from __future__ import annotations

from aiohttp import web

from clerk.errors import NotFound, Refused
from clerk.meetings import get_meeting
from clerk.observers import booking_list, meeting_questions
from clerk.times import day_in_words, in_words
from web.context import body_for, clerk_of, render

routes = web.RouteTableDef()


@routes.get("/meetings/{ref}/observers")
async def observers_page(request: web.Request) -> web.StreamResponse:
    app = clerk_of(request)
    try:
        meeting = get_meeting(app, request.match_info["ref"])
    except NotFound:
        raise web.HTTPNotFound() from None
    body = body_for(request, meeting.body)
    try:
        listing = booking_list(app, meeting.ref)
    except Refused as exc:
        listing, not_public = None, str(exc)
    else:
        not_public = ""
    questions = [{"name": q.name, "text": q.text, "when": in_words(q.asked_at, app.tz),
                  "erased": q.erased} for q in meeting_questions(app, meeting.ref)]
    return render(request, "console/observers.html", meeting=meeting, body=body,
                  slug=meeting.body, not_public=not_public, listing=listing, questions=questions,
                  meeting_title=f"{body.name} meeting, {day_in_words(meeting.starts_at, app.tz)}")
