"""``clerk members``: import the membership from CSV, list it, and resume mail to an address that
bounced."""

from __future__ import annotations

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
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import members from a CSV file; bad rows are reported by line, good rows are kept."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"no file at {file}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{file} is not UTF-8 text; save it from your spreadsheet as "
                       "'CSV UTF-8'") from None
    from clerk.people import import_members

    clerk = open_app(config)
    report = import_members(clerk, text, source=str(file))
    if as_json:
        print_json({"created": report.created, "updated": report.updated,
                    "unchanged": report.unchanged,
                    "errors": [{"line": n, "error": e} for n, e in report.errors]})
    else:
        console.print(f"{file}: {report.created} added, {report.updated} updated, "
                      f"{report.unchanged} unchanged, {len(report.errors)} rejected.")
        for line, error in report.errors:
            err_console.print(f"  line {line}: {error}", markup=False)
    if report.errors:
        raise typer.Exit(2)


@members.command("list")
def list_cmd(
    body: Annotated[str | None, typer.Option(help="Only this body.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the members of every body (or one)."""
    from clerk.people import list_members

    rows = list_members(open_app(config), body)
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("body", "name", "email", "role", "office", "organisation", "carer", "voting",
                  "substitute", "mail")
    for r in rows:
        table.add_row(r["body"], r["name"], r["email"], r["role"], r["office"], r["organisation"],
                      "yes" if r["carer"] else "", "yes" if r["voting"] else "no", r["substitute"],
                      "BOUNCES" if r["undeliverable"] else "")
    console.print(table)
    bouncing = sorted({r["email"] for r in rows if r["undeliverable"]})
    console.print(f"{len(rows)} members.")
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
