"""The register on the day: a tick list of every member and every substitute expected, the
quorum verdict for what is ticked (from clerk's quorum rule: "Check quorum" re-renders the page
without JavaScript; /static/register.js asks the read-only ``/register/quorum`` as boxes are
ticked), and "Save the register", which records it as ``clerk attendance record`` does."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from clerk.attendance import (
    RecordAttendance,
    RegisterSheet,
    check_register,
    record_attendance,
    register_sheet,
)
from clerk.errors import ClerkError
from clerk.meetings import Meeting
from web.context import CHANNEL, Form, actor, clerk_of, done, field, form, render
from web.pages.meeting import REPLY_WORDS, meeting_for, sentence, title_of

routes = web.RouteTableDef()


def _ticked(data: Form) -> set[str]:
    return {v for v in data.getall("present", []) if isinstance(v, str)}


def _command(request: web.Request, sheet: RegisterSheet, data: Form) -> RecordAttendance:
    """The register as ticked: members by address, each substitute with the member they stand
    for (and one substitute typed in, not announced beforehand)."""
    ticked = _ticked(data)
    present: list[str] = []
    substitutes: list[tuple[str, str]] = []
    members = {}
    for e in sheet.expected:
        if not e.is_substitute:
            members[str(e.person_id)] = e.email
        if str(e.person_id) not in ticked:
            continue
        if e.is_substitute:
            substitutes.append((e.email, e.stands_for_email))
        else:
            present.append(e.email)
    extra, stands_for = field(data, "extra-email"), field(data, "extra-for")
    if extra:
        if stands_for not in members:
            raise ValueError("Choose the member the substitute is standing in for")
        substitutes.append((extra, members[stands_for]))
    return RecordAttendance(meeting=sheet.meeting.ref, present=tuple(present),
                            substitutes=tuple(substitutes), channel=CHANNEL,
                            actor=actor(request))


def _page(request: web.Request, meeting: Meeting, *, ticked: set[str] | None = None,
          check: Any = None, errors: list[tuple[str, str]] | None = None,
          values: dict[str, str] | None = None, status: int = 200) -> web.Response:
    app = clerk_of(request)
    sheet = register_sheet(app, meeting.ref)
    if ticked is None:
        ticked = {str(e.person_id) for e in sheet.expected if e.present}
    return render(request, "console/register.html", status=status, meeting=meeting,
                  slug=meeting.body, body=app.body(meeting.body),
                  title=title_of(request, meeting), sheet=sheet, ticked=ticked, check=check,
                  reply_words=REPLY_WORDS, errors=errors or [], values=values or {})


@routes.get("/meetings/{ref}/register")
async def register_page(request: web.Request) -> web.StreamResponse:
    return _page(request, meeting_for(request, request.match_info["ref"]))


@routes.post("/meetings/{ref}/register")
async def register(request: web.Request) -> web.StreamResponse:
    """``action=check``: the page again with the verdict for the ticks (nothing written);
    otherwise save the register."""
    meeting = meeting_for(request, request.match_info["ref"])
    app = clerk_of(request)
    data = await form(request)
    ticked = _ticked(data)
    values = {"extra-email": field(data, "extra-email"), "extra-for": field(data, "extra-for")}
    sheet = register_sheet(app, meeting.ref)
    try:
        cmd = _command(request, sheet, data)
        if field(data, "action") == "check":
            return _page(request, meeting, ticked=ticked, check=check_register(app, cmd),
                         values=values)
        result = record_attendance(app, cmd)
    except ValueError as exc:
        return _page(request, meeting, ticked=ticked, errors=[("extra-for", str(exc))],
                     values=values, status=400)
    except ClerkError as exc:
        target = "extra-email" if values["extra-email"] else "register"
        return _page(request, meeting, ticked=ticked, errors=[(target, sentence(exc))],
                     values=values, status=400)
    word = "Quorate" if result.quorum.ok else "Not quorate"
    flagged = "".join(f" {email} has been absent without notice at meetings in a row."
                      for email in result.flagged)
    raise done(request, f"/meetings/{meeting.ref}/register",
               f"Register saved: {len(result.present)} present. {word}: {result.quorum.reason}. "
               f"Chair: {result.chair.reason}." + flagged)


@routes.post("/meetings/{ref}/register/quorum")
async def quorum_now(request: web.Request) -> web.StreamResponse:
    """The verdict for the ticks, as JSON, for register.js (reads only)."""
    meeting = meeting_for(request, request.match_info["ref"])
    app = clerk_of(request)
    data = await form(request)
    try:
        check = check_register(app, _command(request, register_sheet(app, meeting.ref), data))
    except (ValueError, ClerkError) as exc:
        return web.json_response({"ok": False, "error": sentence(exc)})
    return web.json_response({"ok": True, "quorate": check.quorum.ok,
                              "reason": check.quorum.reason, "chair": check.chair.reason,
                              "present": len(check.present)})
