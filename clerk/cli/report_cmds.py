"""``clerk report attendance BODY``: a body's attendance per member and per organisation over a
year or a period, as text, JSON, CSV or an HTML page."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json
from clerk.errors import BadInput

if TYPE_CHECKING:
    from clerk.attendance.report import AttendanceReport
    from clerk.rules.attendance import Tally

report_app = typer.Typer(help="Reports: attendance over a year.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f'{option} must be a date as YYYY-MM-DD, got "{text}"') from None


def _words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _pct(t: Tally) -> str:
    return "-" if t.percentage is None else f"{t.percentage}%"


def _counts(t: Tally) -> list[str]:
    return [str(t.due), str(t.in_person), str(t.substitute), str(t.apologies),
            str(t.absent_without_notice), _pct(t)]


def _print_text(report: AttendanceReport) -> None:
    from rich.table import Table

    console.print(f"{report.body_name}: attendance from {_words(report.start)} to "
                  f"{_words(report.end)}", markup=False)
    said = [f"{len(report.held)} meeting(s) counted"]
    if report.cancelled:
        said.append(f"{len(report.cancelled)} cancelled (counted against nobody)")
    if report.without_register:
        days = ", ".join(d.isoformat() for d in report.without_register)
        said.append(f"{len(report.without_register)} past without a register, not counted "
                    f"({days}: record it with `clerk attendance record`)")
    if report.not_yet_held:
        said.append(f"{report.not_yet_held} still to come")
    console.print("; ".join(said) + ".", markup=False)
    console.print(f"The {report.rule}.", markup=False)
    heads = ("due", "in person", "by substitute", "apologies", "absent without notice",
             "attendance")
    if not report.members:
        console.print("No member was due at a meeting in this period.", markup=False)
        return
    members = Table(title="Members")
    for heading in ("member", "organisation", *heads):
        members.add_column(heading)
    for m in report.members:
        members.add_row(m.name + ("" if m.current else " (no longer a member)"), m.organisation,
                        *_counts(m.tally))
    console.print(members)
    orgs = Table(title="Organisations")
    for heading in ("organisation", "members", *heads):
        orgs.add_column(heading)
    for o in report.organisations:
        orgs.add_row(o.organisation, str(o.members), *_counts(o.tally))
    orgs.add_row(f"the whole {report.body_name}", str(len(report.members)),
                 *_counts(report.total))
    console.print(orgs)


@report_app.command("attendance")
def attendance_cmd(
    body: Annotated[str, typer.Argument(help="The body, e.g. carers.")],
    year: Annotated[int | None, typer.Option("--year", help="A calendar year, e.g. 2027.")] = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="The first day, YYYY-MM-DD (default: 1 January of --to's year).")] = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="The last day, YYYY-MM-DD (default: today).")] = None,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the report as CSV.")] = False,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Write the report as an HTML page to this file.")] = None,
    config: ConfigOption = None,
) -> None:
    """Each member's and organisation's attendance: meetings due at, attended in person or by
    substitute, apologies, absences without notice, and a percentage. Only meetings held with a
    register count; cancelled meetings count against nobody. Default: this year to date."""
    from clerk.attendance.report import as_csv as csv_of
    from clerk.attendance.report import as_dict, attendance_report, period

    if as_json and as_csv:
        raise BadInput("give --json or --csv, not both")
    clerk = open_app(config)
    today = clerk.clock.now().astimezone(clerk.tz).date()
    first, last = period(today, year=year, start=_day(start, "--from"), end=_day(end, "--to"))
    report = attendance_report(clerk, body, first, last)
    if html is not None:
        from clerk.messages import environment

        page = environment().get_template("site/attendance.html.j2").render(
            body=clerk.body(body), slug="", report=report, root="",
            organisation=clerk.config.clerk.organisation)
        try:
            html.write_text(page, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot write {html}: {exc.strerror or exc}") from None
    if as_json:
        print_json(as_dict(report))
    elif as_csv:
        typer.echo(csv_of(report), nl=False)
    elif html is not None:
        console.print(f"wrote the attendance report to {html}", markup=False)
    else:
        _print_text(report)
