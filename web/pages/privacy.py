"""The privacy notice in the console (``/privacy``, open without signing in, linked from every
page's footer): the same words as the published site's ``privacy.html``, with each body's
facilitator's address."""

from __future__ import annotations

from aiohttp import web

from clerk.records.privacy import privacy_notice
from web.context import clerk_of, render

routes = web.RouteTableDef()

#: The GOV.UK Design System's classes for the notice's plain elements.
CLASSES = {"h1": "govuk-heading-l", "h2": "govuk-heading-m", "p": "govuk-body",
           "ul": "govuk-list govuk-list--bullet"}


@routes.get("/privacy")
async def privacy_page(request: web.Request) -> web.StreamResponse:
    return render(request, "console/privacy.html", notice=privacy_notice(clerk_of(request).config),
                  show_addresses=True, classes=CLASSES)
