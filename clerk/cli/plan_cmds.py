"""``clerk meetings plan``: the dates proposed for a body's year, and accepting them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json
from clerk.cli.meetings_cmds import meetings, print_warnings, warnings_json
from clerk.errors import BadInput
from clerk.times import in_words, to_iso

if TYPE_CHECKING:
    from clerk.meetings.plan import YearPlan


def register(app: typer.Typer) -> None:
    """Nothing at the top level: ``plan`` joins the ``meetings`` group."""


def _plan_json(plan: YearPlan) -> dict[str, Any]:
    return {"body": plan.body, "year": plan.year, "at": f"{plan.at:%H:%M}",
            "pattern": plan.proposal.pattern, "basis": plan.basis,
            "slots": [{"period": s.period, "day": s.day.isoformat() if s.day else None,
                       "code": s.code, "reason": s.reason} for s in plan.slots],
            "proposed": [to_iso(s) for s in plan.starts],
            "frequency": {"ok": plan.verdict.ok, "code": plan.verdict.code,
                          "reason": plan.verdict.reason}}


@meetings.command("plan")
def plan_cmd(
    body: Annotated[str, typer.Argument(help="The body, as named in the configuration.")],
    year: Annotated[int, typer.Option(help="The year to plan, e.g. 2027.")],
    at: Annotated[str, typer.Option("--at", help='The time of day, "10:00" (default: as the '
                                                 "latest meeting).")] = "",
    weekday: Annotated[str, typer.Option(help="mon, tue, wed, thu or fri (default: as the "
                                              "latest meeting).")] = "",
    week: Annotated[str, typer.Option(help="Which week of the month: 1, 2, 3, 4 or last "
                                           "(default: as the latest meeting).")] = "",
    venue: Annotated[str, typer.Option(help="Where they are held (with --accept).")] = "",
    online: Annotated[str, typer.Option(help="The joining link (with --accept).")] = "",
    accept: Annotated[bool, typer.Option("--accept", help="Schedule every date proposed.")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Propose the year's meeting dates: one in each period the body's frequency asks for,
    never on a weekend or bank holiday, leaving periods that already have a meeting alone;
    --accept schedules them all (each checked as `clerk meetings add` checks it)."""
    from clerk.meetings.plan import PlanYear, accept_plan, describe_pattern, plan_year
    from clerk.rules.planning import parse_time_of_day, parse_week, parse_weekday

    try:
        cmd = PlanYear(body=body, year=year, at=parse_time_of_day(at) if at else None,
                       weekday=parse_weekday(weekday) if weekday else None,
                       week=parse_week(week) if week else None)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    clerk = open_app(config)
    if accept:
        done = accept_plan(clerk, cmd, venue=venue, online_url=online)
        plan = done.plan
        if as_json:
            print_json({**_plan_json(plan), "added": [
                {"ref": s.meeting.ref, "starts_at": to_iso(s.meeting.starts_at),
                 "where": s.meeting.where, "added": s.added, "warnings": warnings_json(s.warnings)}
                for s in done.scheduled]})
            return
        name = clerk.body(body).name
        if not done.scheduled:
            console.print(f"Nothing to add for the {name} in {year}: "
                          f"{plan.verdict.reason}.", markup=False)
        for s in done.scheduled:
            m = s.meeting
            said = "added" if s.added else "already scheduled"
            console.print(f"{m.ref}: {in_words(m.starts_at, clerk.tz)}, {m.where} ({said})",
                          markup=False)
            print_warnings(s.warnings, m.ref)
        if done.scheduled:
            console.print(f"{plan.verdict.reason}.", markup=False)
        return
    plan = plan_year(clerk, cmd)
    if as_json:
        print_json(_plan_json(plan))
        return
    console.print(f"{clerk.body(body).name}, {year}: {describe_pattern(plan)} "
                  f"(following {plan.basis}).", markup=False)
    from rich.table import Table

    table = Table()
    for heading in ("period", "proposed", "why"):
        table.add_column(heading)
    for slot in plan.slots:
        when = f"{slot.day:%a} {slot.day.day} {slot.day:%b %Y}" if slot.day else "-"
        table.add_row(slot.period, when, slot.reason)
    if plan.slots:
        console.print(table)
    reason = plan.verdict.reason
    console.print(f"With these, {reason}." if plan.slots else f"{reason[:1].upper()}{reason[1:]}.",
                  markup=False)
    if plan.starts:
        console.print(f"Accept them with `clerk meetings plan {body} --year {year} --accept` "
                      "(the same options; --venue and --online to say where), change the "
                      "pattern with --weekday, --week and --at, or add them one by one with "
                      "`clerk meetings add`.", markup=False)
