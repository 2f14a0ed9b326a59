"""The dashboard: the bodies the signed-in person serves, and their upcoming meetings."""

from __future__ import annotations

from aiohttp import web

from clerk.meetings import list_meetings
from clerk.times import in_words
from web.context import clerk_of, render, viewer

routes = web.RouteTableDef()


@routes.get("/")
async def dashboard(request: web.Request) -> web.StreamResponse:
    app = clerk_of(request)
    who = viewer(request)
    upcoming = [m for m in list_meetings(app, include_past=False) if who.served.serves(m.body)]
    return render(request, "console/dashboard.html", meetings=[
        {"ref": m.ref, "body": app.config.bodies[m.body].label,
         "when": in_words(m.starts_at, app.tz), "status": m.status} for m in upcoming])
