"""``clerk console link EMAIL``: a one-time sign-in link for the web console, printed for someone
with shell access (the first sign-in on a fresh install, when mail still goes to the Maildir)."""

from __future__ import annotations

from typing import Annotated

import typer

from clerk.cli.common import ConfigOption, console, open_app

console_app = typer.Typer(help="The facilitator's console in the browser.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(console_app, name="console")


@console_app.command("link")
def console_link(
    email: Annotated[str, typer.Argument(help="The address to sign in as: a body's facilitator, "
                                         "chair or vice-chair, or one of [web] admins.")],
    config: ConfigOption = None,
) -> None:
    """Print a one-time sign-in link (it works once, for 15 minutes)."""
    from clerk.access import print_link

    clerk = open_app(config)
    link = print_link(clerk, email)
    if not clerk.config.web.listen:
        console.print("Note: [web] listen is not set, so clerk run does not serve the console.",
                      markup=False)
    console.print(link, markup=False, soft_wrap=True)
