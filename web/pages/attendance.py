"""A body's attendance report (``/bodies/{slug}/attendance``, ``?year=`` or ``?from=&to=``,
ISO dates; this year to date by default) and the same as a CSV download
(``/bodies/{slug}/attendance.csv``): for those who serve the body (403 otherwise). Reads only."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from aiohttp import web

from clerk.attendance.report import AttendanceReport, as_csv, attendance_report, period
from clerk.errors import BadInput
from web.context import body_for, clerk_of, render

routes = web.RouteTableDef()


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise web.HTTPBadRequest(text="from and to must be dates as YYYY-MM-DD") from None


def _report(request: web.Request, slug: str) -> tuple[AttendanceReport, str]:
    """The report the query asks for, and the query that asks for it again."""
    body_for(request, slug)
    app = clerk_of(request)
    query = request.query
    year_text = query.get("year", "").strip()
    if year_text and not (year_text.isdigit() and len(year_text) == 4):
        raise web.HTTPBadRequest(text="year must be a year, such as 2027")
    today = app.clock.now().astimezone(app.tz).date()
    try:
        start, end = period(today, year=int(year_text) if year_text else None,
                            start=_day(query.get("from", "").strip()),
                            end=_day(query.get("to", "").strip()))
    except BadInput as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    again = urlencode({"from": start.isoformat(), "to": end.isoformat()})
    return attendance_report(app, slug, start, end), again


@routes.get("/bodies/{slug}/attendance")
async def attendance_page(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    report, query = _report(request, slug)
    app = clerk_of(request)
    this_year = app.clock.now().astimezone(app.tz).year
    return render(request, "console/attendance.html", slug=slug, body=app.body(slug),
                  report=report, query=query, years=list(range(this_year, this_year - 4, -1)))


@routes.get("/bodies/{slug}/attendance.csv")
async def attendance_csv(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    report, _query = _report(request, slug)
    name = f"attendance-{slug}-{report.start.isoformat()}-to-{report.end.isoformat()}.csv"
    return web.Response(body=as_csv(report).encode("utf-8"), content_type="text/csv",
                        charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
