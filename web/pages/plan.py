"""Planning a body's year from the console: ``/bodies/{slug}/plan`` shows the dates clerk
proposes for a year (:func:`clerk.meetings.plan_year`; the weekday, week of the month and time
may be changed there), and "Add these meetings" schedules them all (:func:`clerk.meetings.
accept_plan`, each with the checks of adding one). ``/bodies/{slug}/calendar.ics`` is the body's
calendar feed, as the published site has it, for those who serve the body."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from clerk.errors import ClerkError
from clerk.meetings import PlanYear, accept_plan, plan_year
from clerk.meetings.plan import describe_pattern
from clerk.records.feed import body_feed
from clerk.rules.planning import WEEKDAYS, WEEKS, parse_time_of_day, parse_week, parse_weekday
from clerk.times import in_words
from web.context import CHANNEL, actor, body_for, clerk_of, done, field, form, render
from web.pages.bodies import notes

routes = web.RouteTableDef()

FIELDS = ("year", "weekday", "week", "at")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _command(slug: str, values: dict[str, str], default_year: int
             ) -> tuple[PlanYear | None, list[tuple[str, str]]]:
    """The plan asked for, or the errors to show against each field."""
    errors: list[tuple[str, str]] = []
    year = default_year
    if values["year"]:
        if values["year"].isdigit() and 2000 <= int(values["year"]) <= 2200:
            year = int(values["year"])
        else:
            errors.append(("year", "Enter the year as four digits, for example 2027"))
    parsed: dict[str, Any] = {}
    for name, parse in (("weekday", parse_weekday), ("week", parse_week),
                        ("at", parse_time_of_day)):
        if values[name]:
            try:
                parsed[name] = parse(values[name])
            except ValueError as exc:
                errors.append((name, _sentence(str(exc))))
    if errors:
        return None, errors
    return PlanYear(body=slug, year=year, **parsed), []


def _page(request: web.Request, slug: str, values: dict[str, str], *,
          errors: list[tuple[str, str]] | None = None, status: int = 200) -> web.Response:
    app = clerk_of(request)
    body = body_for(request, slug)
    next_year = app.clock.now().astimezone(app.tz).year + 1
    cmd, found = _command(slug, values, next_year)
    errors = [*(errors or []), *found]
    plan = None
    if cmd is not None:
        try:
            plan = plan_year(app, cmd)
        except ClerkError as exc:
            errors.append(("year", _sentence(str(exc))))
    slots = [{"period": s.period, "day": f"{s.day:%A} {s.day.day} {s.day:%B %Y}" if s.day else "",
              "code": s.code, "reason": _sentence(s.reason)} for s in plan.slots] if plan else []
    return render(request, "console/plan.html", status=400 if errors else status, slug=slug,
                  body=body, values={**values, "year": values["year"] or str(next_year)},
                  errors=errors, plan=plan, slots=slots,
                  pattern=_sentence(describe_pattern(plan)) if plan else "",
                  weekdays=[(w[:3], w.capitalize()) for w in WEEKDAYS],
                  weeks=[("last" if n == 5 else str(n), word.capitalize())
                         for n, word in WEEKS.items()])


@routes.get("/bodies/{slug}/plan")
async def plan_page(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    body_for(request, slug)
    values = {name: request.query.get(name, "").strip() for name in FIELDS}
    return _page(request, slug, values)


@routes.post("/bodies/{slug}/plan")
async def accept(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    body_for(request, slug)
    app = clerk_of(request)
    data = await form(request)
    values = {name: field(data, name) for name in FIELDS}
    cmd, errors = _command(slug, values, app.clock.now().astimezone(app.tz).year + 1)
    if cmd is None:
        return _page(request, slug, values, errors=errors)
    try:
        result = accept_plan(app, cmd, venue=field(data, "venue"),
                             online_url=field(data, "online"), actor=actor(request),
                             channel=CHANNEL)
    except ClerkError as exc:
        return _page(request, slug, values, errors=[("venue", _sentence(str(exc)))])
    added = result.added
    if not added:
        raise done(request, f"/bodies/{slug}", f"No meetings added for {cmd.year}: "
                                               f"{result.plan.verdict.reason}.")
    said = (f"{len(added)} meeting{'s' if len(added) != 1 else ''} added for {cmd.year}: "
            + "; ".join(in_words(m.starts_at, app.tz) for m in added) + ".")
    warned = "".join(notes(s.warnings) for s in result.scheduled if s.added)
    raise done(request, f"/bodies/{slug}", said + warned)


@routes.get("/bodies/{slug}/calendar.ics")
async def calendar_feed(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    body_for(request, slug)
    return web.Response(body=body_feed(clerk_of(request), slug),
                        content_type="text/calendar", charset="utf-8",
                        headers={"Content-Disposition": f'inline; filename="{slug}.ics"'})
