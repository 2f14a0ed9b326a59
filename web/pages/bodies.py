"""A body's page: its meetings (upcoming and past), the open requests for an extraordinary
meeting (with the day each must be held by), adding a meeting (its time checked by clerk: never
in the past, a weekend or bank holiday pointed out; an extraordinary one checked against the
body's terms), and deleting one added by mistake while nothing has been sent for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from clerk.attendance import list_requests
from clerk.errors import ClerkError
from clerk.meetings import AddMeeting, Meeting, list_meetings, may_delete, schedule_meeting
from clerk.rules.verdict import Verdict
from clerk.times import in_words, parse_start
from web.context import CHANNEL, Form, actor, body_for, clerk_of, done, field, form, render

routes = web.RouteTableDef()


def start_text(data: Form, prefix: str) -> str:
    """The meeting's start as clerk reads it (``2027-01-14 10:00``) from a GOV.UK date input
    (``{prefix}-day``, ``-month``, ``-year``) and a time field (``{prefix}-time``); a missing
    time leaves the date alone, which :func:`clerk.times.parse_start` refuses in words."""
    day, month, year = (field(data, f"{prefix}-{part}") for part in ("day", "month", "year"))
    time = field(data, f"{prefix}-time").replace(".", ":")
    if not (day and month and year):
        return ""
    return f"{year}-{month.zfill(2)}-{day.zfill(2)} {time}".strip()


class StartError(ValueError):
    """The start in a form cannot be read: ``field`` is the field to show the sentence by."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def read_start(request: web.Request, data: Form, prefix: str) -> datetime:
    """The aware start given in the form, or :class:`StartError` with the sentence to show and
    the field it is about."""
    text = start_text(data, prefix)
    if not text:
        raise StartError("Enter the date of the meeting: day, month and year", f"{prefix}-day")
    if not field(data, f"{prefix}-time"):
        raise StartError("Enter the time the meeting starts, for example 10:00",
                         f"{prefix}-time")
    try:
        return parse_start(text, clerk_of(request).tz)
    except ValueError as exc:
        raise StartError(str(exc), f"{prefix}-day") from exc


#: The form field beside which a refusal about each part of a meeting is shown.
FIELD_OF = {"starts_at": "at-day", "online_url": "online", "kind": "extraordinary",
            "request": "extraordinary"}


def notes(warnings: tuple[Verdict, ...]) -> str:
    """The warnings on a meeting's time, for the message after adding or moving it."""
    return "".join(f" Note: {w.reason}; the meeting stands (move it if that is a mistake)."
                   for w in warnings)


def _meeting_row(request: web.Request, m: Meeting, *, upcoming: bool) -> dict[str, Any]:
    app = clerk_of(request)
    deletable = upcoming and m.status != "cancelled" and may_delete(app, m.ref).ok
    return {"ref": m.ref, "when": in_words(m.starts_at, app.tz), "where": m.where,
            "status": m.status, "kind": m.kind, "deletable": deletable}


def _page(request: web.Request, slug: str, *, errors: list[tuple[str, str]] | None = None,
          values: dict[str, str] | None = None, status: int = 200) -> web.Response:
    app = clerk_of(request)
    body = body_for(request, slug)
    now = app.clock.now()
    meetings = list_meetings(app, slug)
    upcoming = [_meeting_row(request, m, upcoming=True) for m in meetings if m.starts_at >= now]
    past = [_meeting_row(request, m, upcoming=False) for m in reversed(meetings)
            if m.starts_at < now]
    requests = [{"ref": r.ref, "by": r.requested_by.name, "reason": r.reason,
                 "waiting": r.status == "awaiting_support",
                 "supporter": r.supporter.name if r.supporter else r.supporter_name,
                 "hold_by": f"{r.hold_by:%A %-d %B %Y}" if r.hold_by else ""}
                for r in list_requests(app, slug, open_only=True)]
    return render(request, "console/body.html", status=status, slug=slug, body=body,
                  upcoming=upcoming, past=past, errors=errors or [], values=values or {},
                  quorum=body.quorum.describe(), requests=requests)


@routes.get("/bodies/{slug}")
async def body_page(request: web.Request) -> web.StreamResponse:
    return _page(request, request.match_info["slug"])


@routes.post("/bodies/{slug}/meetings")
async def add_meeting(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    body_for(request, slug)
    data = await form(request)
    values = {name: field(data, name) for name in
              ("at-day", "at-month", "at-year", "at-time", "venue", "online", "extraordinary",
               "reason", "request")}
    extraordinary = values["extraordinary"] == "yes"
    try:
        starts = read_start(request, data, "at")
    except StartError as exc:
        return _page(request, slug, errors=[(exc.field, str(exc))], values=values, status=400)
    try:
        scheduled = schedule_meeting(clerk_of(request), AddMeeting(
            body=slug, starts_at=starts, venue=values["venue"], online_url=values["online"],
            actor=actor(request), channel=CHANNEL,
            kind="extraordinary" if extraordinary else "ordinary",
            reason=values["reason"] if extraordinary else "",
            request=values["request"] if extraordinary else ""))
    except ClerkError as exc:
        target = FIELD_OF.get(exc.about, "at-day")
        return _page(request, slug, errors=[(target, str(exc)[:1].upper() + str(exc)[1:])],
                     values=values, status=400)
    m = scheduled.meeting
    when = in_words(m.starts_at, clerk_of(request).tz)
    kind = "Extraordinary meeting" if m.kind == "extraordinary" else "Meeting"
    said = (f"{kind} added: {when}, {m.where}." if scheduled.added else
            f"That meeting was already scheduled: {when}.")
    raise done(request, f"/meetings/{m.ref}", said + notes(scheduled.warnings))
