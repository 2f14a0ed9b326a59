"""``clerk people export|erase``: a member's data rights (a subject access request answered in
one archive; erasure, their identity replaced by a pseudonym in every record)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, err_console, open_app, print_json

people = typer.Typer(help="A person's data: export it, or erase them.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(people, name="people")


@people.command("export")
def export_cmd(
    email: Annotated[str, typer.Argument(help="The person's address.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="The archive to write (default: export-ADDRESS.zip here).")] = None,
    config: ConfigOption = None,
) -> None:
    """Write everything clerk holds about a person (JSON and a readable page) in one zip archive
    only you can read; audited as 'person.exported'."""
    from clerk.people.export import export_person

    clerk = open_app(config)
    target = out or Path(f"export-{email.strip().lower().replace('@', '-at-')}.zip")
    written = export_person(clerk, email, target, actor="facilitator")
    console.print(f"Wrote {written} (person.json and person.html).", markup=False)


@people.command("erase")
def erase_cmd(
    email: Annotated[str, typer.Argument(help="The person's address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm.")] = False,
    site: Annotated[Path | None, typer.Option(
        "--site", help="The published site's folder, searched for pages naming them.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a person who holds no seat: their name, addresses, chat links and raw messages are
    replaced by a pseudonym in every record (counts and decisions stay); lists the minutes,
    papers and published pages to redact by hand. It cannot be undone."""
    from clerk.people.erasure import as_dict, erase_person

    clerk = open_app(config)
    if not yes and not typer.confirm(f"Erase {email} from every record? This cannot be undone."):
        err_console.print("Nothing erased.", markup=False)
        raise typer.Exit(1)
    report = erase_person(clerk, email, actor="facilitator", site=site)
    if as_json:
        print_json(as_dict(report))
        return
    console.print(f"Erased: they are {report.pseudonym} in every record from now on "
                  f"({report.counts.get('values', 0)} values, "
                  f"{report.counts.get('raw_messages', 0)} raw messages, "
                  f"{report.counts.get('audit_rows', 0)} audit events).", markup=False)
    if report.to_redact:
        console.print("Redact by hand (clerk cannot change these):", markup=False)
        for line in report.to_redact:
            console.print(f"  {line}", markup=False)
