"""``clerk init`` (create the database, load the bodies) and ``clerk check-config``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clerk.cli.common import ConfigOption, JsonOption, config_path, console, open_app, print_json


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("check-config")(check_config)


def init(config: ConfigOption = None) -> None:
    """Create the database and load the bodies from the configuration (safe to run again)."""
    clerk = open_app(config)
    n = len(clerk.config.bodies)
    console.print(f"Database ready at {clerk.config.database_path} with {n} bodies: "
                  f"{', '.join(clerk.config.bodies)}.", markup=False)


def check_config(
    path: Annotated[Path | None, typer.Argument(help="The file to check.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a configuration file and summarise each body's rules."""
    from clerk.config import load_config
    from clerk.records import body_summary

    chosen = config_path(path or config)
    cfg = load_config(chosen)
    summaries = [body_summary(slug, body) for slug, body in cfg.bodies.items()]
    warnings = cfg.warnings()
    notes = cfg.notes()
    if as_json:
        print_json({"path": str(chosen), "ok": True, "bodies": summaries, "warnings": warnings,
                    "notes": notes})
        return
    console.print(f"{chosen}: OK, {len(summaries)} bodies.", markup=False)
    for warning in warnings:
        console.print(f"Warning: {warning}", markup=False)
    for note in notes:
        console.print(f"Note: {note}", markup=False)
    for s in summaries:
        console.print(f"\n[bold]{s['name']}[/] ({s['slug']})")
        for key in ("meetings", "papers", "quorum", "when_inquorate", "substitutes", "observers",
                    "minutes", "reports_to", "unresolved", "reports", "reports_in"):
            if s[key]:
                console.print(f"  {key.replace('_', ' ')}: {s[key]}", markup=False)
