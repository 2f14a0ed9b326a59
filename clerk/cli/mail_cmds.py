"""``clerk mail``: the command group for mail; outbound and inbound commands attach to it."""

from __future__ import annotations

import typer

mail = typer.Typer(help="Mail: send the outbox, read replies, replay messages.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(mail, name="mail")
