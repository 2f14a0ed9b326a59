"""``clerk doctor`` (is this installation ready?) and ``clerk backup PATH`` (a consistent copy)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clerk.cli.common import ConfigOption, JsonOption, config_path, console, print_json


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_cmd)
    app.command("backup")(backup_cmd)


def doctor_cmd(
    config: ConfigOption = None,
    as_json: JsonOption = False,
    send_test: Annotated[str | None, typer.Option(
        "--send-test", metavar="ADDRESS",
        help="Also send one test message to ADDRESS through the SMTP server.")] = None,
) -> None:
    """Check what a go-live needs (configuration, database, mail servers, bot, time zone, disk);
    exits 1 when anything fails."""
    from clerk.ops.doctor import run_doctor
    from clerk.ops.verdicts import Verdict

    report = run_doctor(config_path(config), send_test=send_test)
    if as_json:
        print_json(report.as_json())
    else:
        labels = {Verdict.OK: "ok  ", Verdict.WARN: "warn", Verdict.FAIL: "FAIL"}
        for check in report.checks:
            console.print(f"{labels[check.verdict]}  {check.part.value:<13} {check.name}: "
                          f"{check.detail}", markup=False)
            if check.fix:
                console.print(f"{'':<20}fix: {check.fix}", markup=False)
        console.print(report.summary(), markup=False)
    if not report.ok:
        raise typer.Exit(1)


def backup_cmd(
    path: Annotated[Path, typer.Argument(help="The file to write (replaced atomically if it exists).",
                                         metavar="PATH", show_default=False)],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a consistent copy of the database to PATH (safe while clerk run is writing)."""
    from clerk.config import load_config
    from clerk.errors import BadInput
    from clerk.store.backup import backup_file

    cfg = load_config(config_path(config))
    database = cfg.database_path
    if not database.is_file():
        raise BadInput(f"there is no database at {database} to back up (clerk init creates it)")
    report = backup_file(database, path)
    if as_json:
        print_json({"path": str(report.path), "size": report.size, "schema": report.schema.version,
                    "migrations": len(report.schema.applied), "counts": report.counts})
    else:
        console.print(report.describe(), markup=False)
