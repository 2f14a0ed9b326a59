"""The ``clerk`` command line: every command is a thin call of one service function."""

from __future__ import annotations

import click

from clerk.cli.app import app
from clerk.cli.common import err_console
from clerk.config import ConfigError
from clerk.errors import ClerkError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs a command; a refusal or a bad input prints a message and exits 2."""
    try:
        result = app(args=argv, prog_name="clerk", standalone_mode=False)
    except ConfigError as exc:
        err_console.print(f"[bold red]The configuration in {exc.path} has "
                          f"{len(exc.problems)} problem(s):[/]")
        for problem in exc.problems:
            err_console.print(f"  - {problem}", markup=False, highlight=False)
        return 2
    except ClerkError as exc:
        err_console.print(f"clerk: {exc}", markup=False, highlight=False)
        return exc.exit_code
    except click.exceptions.Abort:
        err_console.print("Stopped.")
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return result if isinstance(result, int) else 0

