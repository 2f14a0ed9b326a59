"""The console's pages, one module per area, each with its ``routes``; :data:`PAGES` lists them
for :func:`web.app.make_console`."""

from aiohttp.web import RouteTableDef

from web.pages import (
    actions,
    agenda,
    attendance,
    audit,
    bodies,
    dashboard,
    data_rights,
    elections,
    inbox,
    meeting,
    members,
    minutes,
    observers,
    plan,
    privacy,
    register,
    sign_in,
    votes,
)

PAGES: tuple[RouteTableDef, ...] = (
    sign_in.routes,
    dashboard.routes,
    bodies.routes,
    plan.routes,
    meeting.routes,
    register.routes,
    agenda.routes,
    minutes.routes,
    actions.routes,
    members.routes,
    data_rights.routes,
    votes.routes,
    elections.routes,
    observers.routes,
    attendance.routes,
    audit.routes,
    inbox.routes,
    privacy.routes,
)
