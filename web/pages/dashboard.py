"""The dashboard: the bodies the signed-in person serves, their coming meetings with the replies
so far and the quorum forecast, the next deadlines, and what needs attention, each item a link to
the page that deals with it (the data is :func:`clerk.records.dashboard.dashboard`)."""

from __future__ import annotations

from aiohttp import web

from clerk.records.dashboard import Attention, dashboard
from web.context import clerk_of, render, viewer

routes = web.RouteTableDef()

#: The page that deals with each kind of attention item.
PAGE_FOR = {
    "cannot_be_quorate": "/meetings/{ref}",
    "short_of_quorum": "/meetings/{ref}",
    "papers_due_today": "/meetings/{ref}/agenda",
    "papers_late": "/meetings/{ref}/agenda",
    "report_late": "/meetings/{ref}/agenda",
    "minutes_overdue": "/meetings/{ref}/minutes",
    "actions_overdue": "/bodies/{body}/actions",
    "vote_closing": "/votes/{ref}",
    "addresses_bouncing": "/bodies/{body}/members",
    "mail_quarantined": "/inbox",
}


def link(item: Attention) -> str:
    """Where an attention item leads."""
    return PAGE_FOR.get(item.code, "/").format(ref=item.ref, body=item.body)


@routes.get("/")
async def dashboard_page(request: web.Request) -> web.StreamResponse:
    who = viewer(request)
    data = dashboard(clerk_of(request), who.served)
    return render(request, "console/dashboard.html", dash=data, link=link)
