"""``clerk audit verify``: check the audit log's hash chain."""

from __future__ import annotations

import typer

from clerk.cli.common import ConfigOption, console, open_app

audit_app = typer.Typer(help="The audit log of every change.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(config: ConfigOption = None) -> None:
    """Check that no row of the audit log has been edited, removed or reordered."""
    from clerk.store import audit

    clerk = open_app(config)
    check = audit.verify_chain(clerk.store.db)
    console.print(check.reason, markup=False)
    if not check.ok:
        raise typer.Exit(1)
