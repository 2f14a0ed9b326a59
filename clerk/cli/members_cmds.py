"""``clerk members``: import the membership from CSV, end a membership, list them, and resume
mail to an address that bounced."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, err_console, open_app, print_json
from clerk.errors import BadInput

members = typer.Typer(help="The members of each body.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(members, name="members")


@members.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV file; columns are listed in the README.")],
    rejoin: Annotated[bool, typer.Option(
        "--rejoin", help="Members listed whose membership has ended have rejoined: make them "
        "members again (without it, their rows are skipped with a warning).")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import members from a CSV file (comma, semicolon or tab separated; UTF-8 or
    Windows-1252); bad rows are reported by line, good rows are kept."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"no file at {file}") from None
    from clerk.people import import_members

    clerk = open_app(config)
    report = import_members(clerk, data, source=str(file), rejoin=rejoin)
    if as_json:
        print_json({"created": report.created, "updated": report.updated,
                    "unchanged": report.unchanged,
                    "errors": [{"line": n, "error": e} for n, e in report.errors],
                    "warnings": [{"line": n, "warning": w} for n, w in report.warnings],
                    "delimiter": report.delimiter_name, "encoding": report.encoding,
                    "ignored_columns": report.ignored_columns,
                    "kept_ended": report.kept_ended})
    else:
        console.print(f"{file}: read as {report.delimiter_name}-separated {report.encoding} "
                      "text.", markup=False)
        console.print(f"{file}: {report.created} added, {report.updated} updated, "
                      f"{report.unchanged} unchanged, {len(report.errors)} rejected"
                      + (f", {report.kept_ended} skipped (their membership has ended)."
                         if report.kept_ended else "."), markup=False)
        for line, warning in report.warnings:
            err_console.print(f"  line {line} (warning): {warning}", markup=False)
        for line, error in report.errors:
            err_console.print(f"  line {line}: {error}", markup=False)
    if report.errors:
        raise typer.Exit(2)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f'--on must be a date written YYYY-MM-DD (such as 2026-11-30), got "{text}"'
                       ) from None


@members.command("end")
def end_cmd(
    email: Annotated[str, typer.Argument(help="The member's address.")],
    body: Annotated[str, typer.Option(help="The body whose membership ends.")],
    on: Annotated[str | None, typer.Option(
        help="The day it ended, YYYY-MM-DD (default: today; not a day to come).")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """End a membership: it stays in the records, and the person is no longer invited to the
    body's meetings, counted for its quorum or given its ballots."""
    day = _day(on)
    from clerk.people import end_membership

    done = end_membership(open_app(config), email, body, day)
    if as_json:
        print_json({"email": done.email, "name": done.name, "body": done.body,
                    "ended_on": done.ended_on.isoformat(), "changed": done.changed,
                    "office": done.office, "invited_to": list(done.invited_to)})
        return
    if not done.changed:
        console.print(f"{done.name} ({done.email}): the membership of {done.body_name} already "
                      f"ended on {done.ended_on.isoformat()}; nothing changed.", markup=False)
        return
    console.print(f"{done.name} ({done.email}): the membership of {done.body_name} ended on "
                  f"{done.ended_on.isoformat()}. It stays in the records (clerk members list "
                  "shows it as ended); they will not be invited to the body's meetings, counted "
                  "for its quorum or given its ballots.", markup=False)
    if done.office:
        console.print(f"They held the office {done.office.replace('_', ' ')}: import whoever "
                      "takes it over with that office"
                      + ("; until then the configured chair_email, if any, is the Chair."
                         if done.office == "chair" else "."), markup=False)
    if done.invited_to:
        console.print(f"They had already been invited to {', '.join(done.invited_to)}: that "
                      "invitation is not withdrawn (they no longer count for quorum there); tell "
                      "them if they should not come.", markup=False)


@members.command("list")
def list_cmd(
    body: Annotated[str | None, typer.Option(help="Only this body.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the members of every body (or one), and the memberships that have ended."""
    from clerk.people import list_members

    rows = list_members(open_app(config), body, ended=True)
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("body", "name", "email", "role", "office", "organisation", "carer", "voting",
                  "substitute", "mail", "ended")
    for r in rows:
        table.add_row(r["body"], r["name"], r["email"], r["role"], r["office"], r["organisation"],
                      "yes" if r["carer"] else "", "yes" if r["voting"] else "no", r["substitute"],
                      "BOUNCES" if r["undeliverable"] else "", r["ended_on"])
    console.print(table)
    current = [r for r in rows if not r["ended_on"]]
    ended = len(rows) - len(current)
    bouncing = sorted({r["email"] for r in current if r["undeliverable"]})
    console.print(f"{len(current)} members." + (f" {ended} membership(s) have ended (shown with "
                                                f"the day they ended)." if ended else ""))
    if bouncing:
        console.print(f"Mail is not sent to {len(bouncing)} address(es) that bounced: "
                      f"{', '.join(bouncing)}. Once fixed: clerk members resume-mail EMAIL.")


@members.command("resume-mail")
def resume_mail_cmd(
    email: Annotated[str, typer.Argument(help="The address that bounced.")],
    config: ConfigOption = None,
) -> None:
    """Send mail to an address again after it bounced (the mailbox is fixed, or the bounce was
    wrong). A message from the address does the same by itself."""
    from clerk.people import resume_mail

    was = resume_mail(open_app(config), email)
    if was is None:
        console.print(f"{email.strip().lower()} was not stopped: mail to it is sent as usual.")
    else:
        console.print(f"Mail to {email.strip().lower()} will be sent again (it had been stopped: "
                      f"{was}).", markup=False)
