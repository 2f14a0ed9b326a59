"""The command tree: ``clerk init``, ``check-config``, ``members``, ``meetings``, ``attendance``,
``decisions`` and ``audit``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clerk.cli import (
    bookings_cmds,
    inbound_cmds,
    mail_cmds,
    meetings_cmds,
    members_cmds,
    outbound_cmds,
    papers_cmds,
    ratify_cmds,
    run_cmds,
)
from clerk.cli.common import (
    ConfigOption,
    JsonOption,
    _state,
    config_path,
    console,
    open_app,
    print_json,
)
from clerk.config import load_config
from clerk.services import audit
from clerk.services.views import body_summary

app = typer.Typer(
    help="clerk: the paperwork of partnership boards, by email and chat.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(members_cmds.members, name="members")
app.add_typer(meetings_cmds.meetings, name="meetings")
app.add_typer(meetings_cmds.attendance, name="attendance")
app.add_typer(meetings_cmds.decisions, name="decisions")
app.add_typer(mail_cmds.mail, name="mail")
outbound_cmds.register(app)
inbound_cmds.register(app)
run_cmds.register(app)
ratify_cmds.register(app)
bookings_cmds.register(app)
papers_cmds.register(app)
audit_app = typer.Typer(help="The audit log of every change.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@app.callback()
def root(config: ConfigOption = None) -> None:
    """clerk: the paperwork of partnership boards, by email and chat."""
    _state["config"] = config


@app.command("init")
def init(config: ConfigOption = None) -> None:
    """Create the database and load the bodies from the configuration (safe to run again)."""
    clerk = open_app(config)
    n = len(clerk.config.bodies)
    console.print(f"Database ready at {clerk.config.database_path} with {n} bodies: "
                  f"{', '.join(clerk.config.bodies)}.")


@app.command("check-config")
def check_config(
    path: Annotated[Path | None, typer.Argument(help="The file to check.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a configuration file and summarise each body's rules."""
    chosen = config_path(path or config)
    cfg = load_config(chosen)
    summaries = [body_summary(slug, body) for slug, body in cfg.bodies.items()]
    if as_json:
        print_json({"path": str(chosen), "ok": True, "bodies": summaries})
        return
    console.print(f"{chosen}: OK, {len(summaries)} bodies.")
    for s in summaries:
        console.print(f"\n[bold]{s['name']}[/] ({s['slug']})")
        for key in ("meetings", "papers", "quorum", "when_inquorate", "substitutes", "observers",
                    "minutes"):
            console.print(f"  {key.replace('_', ' ')}: {s[key]}", markup=False)


@audit_app.command("verify")
def audit_verify(config: ConfigOption = None) -> None:
    """Check that no row of the audit log has been edited, removed or reordered."""
    clerk = open_app(config)
    check = audit.verify_chain(clerk.store.db)
    console.print(check.reason, markup=False)
    if not check.ok:
        raise typer.Exit(1)
