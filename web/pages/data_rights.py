"""A member's data rights in the console, on their member page: download everything clerk holds
about them (the archive ``clerk people export`` writes) and, once they hold no seat, erase them
(``clerk people erase``)."""

from __future__ import annotations

from aiohttp import web

from clerk.errors import NotFound, Refused
from clerk.people.erasure import erase_person
from clerk.people.export import export_archive
from web.context import CHANNEL, actor, clerk_of, done, field, form
from web.pages.members import _member, _member_page

routes = web.RouteTableDef()


@routes.post(r"/bodies/{slug}/members/{person_id:\d+}/export")
async def member_export(request: web.Request) -> web.StreamResponse:
    """The archive, as a download (audited as 'person.exported')."""
    _, _, member = _member(request)
    await form(request)  # the CSRF check
    content = export_archive(clerk_of(request), member.email, actor=actor(request),
                             channel=CHANNEL)
    name = f"export-person-{member.person_id}.zip"
    return web.Response(body=content, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@routes.post(r"/bodies/{slug}/members/{person_id:\d+}/erase")
async def member_erase(request: web.Request) -> web.StreamResponse:
    slug, body, member = _member(request)
    data = await form(request)
    if field(data, "confirm") != "yes":
        return _member_page(request, slug, body, member, errors=[
            ("confirm", f"Tick the box to confirm that {member.name} is to be erased")])
    try:
        report = erase_person(clerk_of(request), member.email, actor=actor(request),
                              channel=CHANNEL)
    except (Refused, NotFound) as exc:
        return _member_page(request, slug, body, member, errors=[("confirm", str(exc))])
    said = [f"{member.name} was erased: they are {report.pseudonym} in every record."]
    if report.to_redact:
        said.append("Redact by hand: " + "; ".join(report.to_redact) + ".")
    raise done(request, f"/bodies/{slug}/members", " ".join(said))
