"""A body's members: the list (with former members and bouncing addresses), importing a
membership file with a preview of what it changes, editing a member, ending a membership and
resuming mail to an address that bounced. Each action is the operation ``clerk members`` calls."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import date
from typing import Any

from aiohttp import web

from clerk.errors import BadInput, NotFound, Refused
from clerk.people import (
    MemberUpdate,
    MemberView,
    body_member,
    body_members,
    end_membership,
    import_members,
    preview_import,
    resume_mail,
    update_member,
)
from clerk.rules.terms import Body
from clerk.store.files import clean_filename
from web.context import (
    CHANNEL,
    Form,
    actor,
    body_for,
    clerk_of,
    done,
    field,
    form,
    render,
    viewer,
)

routes = web.RouteTableDef()

#: The fields of the member form, with their labels (the order of the page).
TEXT_FIELDS = ("name", "role", "office", "organisation", "sector", "substitute_name",
               "substitute_email")
FLAG_FIELDS = ("carer", "voting", "advisory")


def _members_path(slug: str) -> str:
    return f"/bodies/{slug}/members"


def _member(request: web.Request) -> tuple[str, Body, MemberView]:
    """The body (which the viewer must serve) and the membership the URL names; 404 when that
    person has never been a member of it."""
    slug = request.match_info["slug"]
    body = body_for(request, slug)
    try:
        member = body_member(clerk_of(request), slug, int(request.match_info["person_id"]))
    except NotFound:
        raise web.HTTPNotFound() from None
    return slug, body, member


# ------------------------------------------------------------------------------ the list


@routes.get("/bodies/{slug}/members")
async def members_page(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    body = body_for(request, slug)
    return render(request, "console/members.html", title=f"Members of {body.name}", slug=slug,
                  body=body, roster=body_members(clerk_of(request), slug),
                  in_words=_iso_day_in_words)


# ------------------------------------------------------------------------------ importing


def _signature(request: web.Request, *parts: str) -> str:
    """Binds what a preview showed to the form that applies it (the session's secret as key):
    the file, the body, the choice about rejoining and the outcome previewed."""
    key = viewer(request).csrf.encode()
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def _import_form(request: web.Request, slug: str, body: Body, error: str = "",
                 rejoin: bool = False) -> web.Response:
    return render(request, "console/members_import.html", status=400 if error else 200,
                  title=f"Import members of {body.name}", slug=slug, body=body,
                  errors=[("file", error)] if error else [], error=error, rejoin=rejoin)


@routes.get("/bodies/{slug}/members/import")
async def import_page(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    return _import_form(request, slug, body_for(request, slug))


@routes.post("/bodies/{slug}/members/import")
async def import_preview(request: web.Request) -> web.StreamResponse:
    """Read the uploaded file and show what importing it would change (nothing is changed)."""
    slug = request.match_info["slug"]
    body = body_for(request, slug)
    data = await form(request)
    rejoin = field(data, "rejoin") == "yes"
    upload = data.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return _import_form(request, slug, body, "Select a membership file (CSV)", rejoin)
    content = upload.file.read()
    if not content:
        return _import_form(request, slug, body, "The selected file is empty", rejoin)
    try:
        filename = clean_filename(upload.filename)
        preview = preview_import(clerk_of(request), content, body=slug, source=filename,
                                 rejoin=rejoin, channel=CHANNEL)
    except BadInput as exc:
        return _import_form(request, slug, body, str(exc), rejoin)
    sha = hashlib.sha256(content).hexdigest()
    flag = "yes" if rejoin else ""
    return render(request, "console/members_import_preview.html",
                  title=f"Check the import for {body.name}", slug=slug, body=body,
                  preview=preview, filename=filename, rejoin=flag,
                  content=base64.b64encode(content).decode(),
                  signature=_signature(request, slug, filename, flag, sha, preview.fingerprint))


def _refused_apply(request: web.Request, slug: str, body: Body) -> web.Response:
    return _import_form(request, slug, body, "Nothing was imported: the file is not the one "
                                             "that was previewed. Upload it again to see what "
                                             "it would change")


@routes.post("/bodies/{slug}/members/import/apply")
async def import_apply(request: web.Request) -> web.StreamResponse:
    """Apply exactly what the preview showed: the same file (its signature checked) and the
    same outcome (the import refuses if the membership changed since)."""
    slug = request.match_info["slug"]
    body = body_for(request, slug)
    data = await form(request)
    filename, flag = field(data, "filename"), field(data, "rejoin")
    fingerprint, given = field(data, "fingerprint"), field(data, "signature")
    try:
        content = base64.b64decode(field(data, "content"), validate=True)
    except (binascii.Error, ValueError):
        return _refused_apply(request, slug, body)
    sha = hashlib.sha256(content).hexdigest()
    expected = _signature(request, slug, filename, flag, sha, fingerprint)
    if not content or not given or not hmac.compare_digest(given, expected):
        return _refused_apply(request, slug, body)
    try:
        report = import_members(clerk_of(request), content, body=slug, source=filename,
                                rejoin=flag == "yes", actor=actor(request), channel=CHANNEL,
                                expect=fingerprint)
    except Refused as exc:
        return _import_form(request, slug, body, f"Nothing was imported: {exc}",
                            flag == "yes")
    said = [f"{report.created} added", f"{report.updated} changed",
            f"{report.unchanged} unchanged"]
    if report.errors:
        n = len(report.errors)
        said.append(f"{n} row{'' if n == 1 else 's'} rejected")
    if report.kept_ended:
        said.append(f"{report.kept_ended} skipped because their membership has ended")
    raise done(request, _members_path(slug),
               f"{filename} imported into {body.name}: {', '.join(said)}.")


# ------------------------------------------------------------------------------ one member


def _values(member: MemberView) -> dict[str, Any]:
    sub = member.substitutes[0] if member.substitutes else None
    return {"name": member.name, "role": member.role, "office": member.office,
            "organisation": member.organisation, "sector": member.sector,
            "carer": member.carer, "voting": member.voting, "advisory": member.advisory,
            "substitute_name": sub.name if sub else "", "substitute_email": sub.email if sub else ""}


def _member_page(request: web.Request, slug: str, body: Body, member: MemberView, *,
                 values: dict[str, Any] | None = None, errors: list[tuple[str, str]] | None = None,
                 end_on: tuple[str, str, str] | None = None) -> web.Response:
    today = clerk_of(request).clock.now().astimezone(clerk_of(request).tz).date()
    day = end_on or (str(today.day), str(today.month), str(today.year))
    return render(request, "console/members_edit.html", status=400 if errors else 200,
                  title=f"{member.name}, {body.name}", slug=slug, body=body, member=member,
                  values=values or _values(member), errors=errors or [],
                  error_for=dict(errors or []), end_on=day, in_words=_iso_day_in_words)


@routes.get(r"/bodies/{slug}/members/{person_id:\d+}")
async def member_page(request: web.Request) -> web.StreamResponse:
    slug, body, member = _member(request)
    return _member_page(request, slug, body, member)


def _error_field(about: str) -> str:
    """The form field a refusal is about (the error summary links to it), from its code."""
    return about if about in TEXT_FIELDS else "name"


@routes.post(r"/bodies/{slug}/members/{person_id:\d+}")
async def member_update(request: web.Request) -> web.StreamResponse:
    slug, body, member = _member(request)
    data = await form(request)
    values: dict[str, Any] = {name: field(data, name) for name in TEXT_FIELDS}
    values.update({name: field(data, name) == "yes" for name in FLAG_FIELDS})
    try:
        result = update_member(clerk_of(request), slug, member.person_id, MemberUpdate(**values),
                               actor=actor(request), channel=CHANNEL)
    except (BadInput, Refused) as exc:
        message = str(exc)
        return _member_page(request, slug, body, member, values=values,
                            errors=[(_error_field(exc.about), message)])
    if not result.changes:
        raise done(request, request.path, f"Nothing changed for {result.name}.")
    changed = ", ".join(c.field.replace("_", " ") for c in result.changes)
    raise done(request, request.path, f"{result.name}: {changed} saved.")


def _day_in_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _iso_day_in_words(text: str) -> str:
    try:
        return _day_in_words(date.fromisoformat(text))
    except ValueError:
        return text


def _end_day(data: Form) -> tuple[tuple[str, str, str], date | None]:
    parts = (field(data, "end-day"), field(data, "end-month"), field(data, "end-year"))
    try:
        return parts, date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return parts, None


@routes.post(r"/bodies/{slug}/members/{person_id:\d+}/end")
async def member_end(request: web.Request) -> web.StreamResponse:
    slug, body, member = _member(request)
    parts, day = _end_day(await form(request))
    if day is None:
        return _member_page(request, slug, body, member, end_on=parts, errors=[
            ("end-day", "The day the membership ended must be a real date, like 30 11 2026")])
    try:
        result = end_membership(clerk_of(request), member.email, slug, day,
                                actor=actor(request), channel=CHANNEL)
    except Refused as exc:
        return _member_page(request, slug, body, member, end_on=parts,
                            errors=[("end-day", str(exc))])
    if not result.changed:
        raise done(request, _members_path(slug), f"{result.name}'s membership of "
                   f"{result.body_name} had already ended on {_day_in_words(result.ended_on)}.")
    said = [f"{result.name}'s membership of {result.body_name} ended on "
            f"{_day_in_words(result.ended_on)}. They will not be invited, counted for quorum or "
            "given ballots."]
    if result.office:
        said.append(f"They held the office {result.office.replace('_', ' ')}: import or edit "
                    "whoever takes it over.")
    if result.invited_to:
        said.append(f"They had already been invited to {', '.join(result.invited_to)}; that "
                    "invitation stands, so tell them if they should not come.")
    raise done(request, _members_path(slug), " ".join(said))


@routes.post(r"/bodies/{slug}/members/{person_id:\d+}/resume-mail")
async def member_resume_mail(request: web.Request) -> web.StreamResponse:
    """Send mail again to the member's address, or to one of their substitutes'."""
    slug, _, member = _member(request)
    data = await form(request)
    addresses = {str(member.person_id): (member.email, member.name),
                 **{str(s.person_id): (s.email, s.name) for s in member.substitutes}}
    found = addresses.get(field(data, "person"))
    if found is None:
        raise web.HTTPNotFound()
    email, name = found
    was = resume_mail(clerk_of(request), email, actor=actor(request), channel=CHANNEL)
    path = f"{_members_path(slug)}/{member.person_id}"
    if was is None:
        raise done(request, path, f"Mail to {name} was not stopped; it is sent as usual.")
    raise done(request, path, f"Mail to {name} will be sent again.")
