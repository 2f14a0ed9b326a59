"""A meeting's minutes: upload the draft (recorded as a new version and circulated to the
distribution list at once, as ``clerk minutes add`` does), every version listed with its hash
(each can be downloaded), and the approval recorded at the next meeting (``clerk minutes
approve``)."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from clerk.agenda import (
    AddMinutes,
    ApproveMinutes,
    add_minutes,
    approve_minutes,
    minutes_state,
    minutes_version_file,
    next_meeting,
)
from clerk.errors import ClerkError, NotFound
from clerk.meetings import Meeting
from clerk.rules.deadlines import minutes_due
from clerk.rules.meetings import meeting_still_open
from clerk.rules.papers import day_words
from clerk.rules.terms import Body
from clerk.times import day_in_words, from_iso, in_words
from web.context import CHANNEL, actor, clerk_of, done, form, render
from web.pages.agenda import download, meeting_of, meeting_title, uploads

routes = web.RouteTableDef()


def _when(request: web.Request, iso: str | None) -> str:
    return in_words(from_iso(iso), clerk_of(request).tz) if iso else ""


def minutes_page(request: web.Request, meeting: Meeting, body: Body, *,
                 errors: Sequence[tuple[str, str]] = (), status: int = 200) -> web.Response:
    app = clerk_of(request)
    state = minutes_state(app, meeting.ref)
    held = meeting_still_open(meeting, app.clock.now())
    nxt = next_meeting(app, meeting) if body.minutes.approved_at_next_meeting else None
    due = minutes_due(body, meeting.starts_at.astimezone(app.tz).date())
    latest = state.versions[-1] if state.versions else None
    return render(
        request, "console/minutes.html", status=status, errors=list(errors), meeting=meeting,
        body=body, meeting_title=meeting_title(request, meeting, body),
        title=f"Minutes: {meeting_title(request, meeting, body)}",
        state=state, held=held.code == "over", cancelled=held.code == "cancelled",
        versions=[{"version": v.version, "filename": v.filename, "sha256": v.sha256,
                   "added": _when(request, v.added_at), "approved": _when(request, v.approved_at),
                   "at_meeting": v.approved_at_meeting, "circulated": v.circulation_id is not None}
                  for v in reversed(state.versions)],
        latest=latest, due=day_words(due) if due else "",
        next_ref=nxt.ref if nxt else "",
        next_when=day_in_words(nxt.starts_at, app.tz) if nxt else "",
        next_begun=nxt is not None and meeting_still_open(nxt, app.clock.now()).code != "open")


@routes.get("/meetings/{ref}/minutes")
async def show_minutes(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    return minutes_page(request, meeting, body)


def _sentence(text: str) -> str:
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else ""


@routes.post("/meetings/{ref}/minutes")
async def upload_minutes(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    data = await form(request)
    files = uploads(data, "minutes")
    if len(files) != 1:
        return minutes_page(request, meeting, body, status=400, errors=[
            ("minutes", "Choose the file of the draft minutes." if not files
             else "Choose one file: the draft minutes.")])
    try:
        result = add_minutes(clerk_of(request), AddMinutes(
            meeting.ref, files[0], channel=CHANNEL, actor=actor(request)))
    except ClerkError as exc:
        return minutes_page(request, meeting, body, errors=[("minutes", _sentence(str(exc)))],
                            status=400)
    raise done(request, f"/meetings/{meeting.ref}/minutes", _sentence(result.message))


@routes.post("/meetings/{ref}/minutes/approve")
async def approve(request: web.Request) -> web.StreamResponse:
    meeting, body = meeting_of(request)
    await form(request)
    try:
        result = approve_minutes(clerk_of(request), ApproveMinutes(
            meeting.ref, channel=CHANNEL, actor=actor(request)))
    except ClerkError as exc:
        return minutes_page(request, meeting, body, errors=[("approve", _sentence(str(exc)))],
                            status=400)
    raise done(request, f"/meetings/{meeting.ref}/minutes", _sentence(result.message))


@routes.get(r"/meetings/{ref}/minutes/{version:\d+}")
async def download_minutes(request: web.Request) -> web.StreamResponse:
    meeting, _ = meeting_of(request)
    try:
        record, content = minutes_version_file(clerk_of(request), meeting.ref,
                                               int(request.match_info["version"]))
    except NotFound:
        raise web.HTTPNotFound() from None
    return download(record.filename, record.content_type, content)
