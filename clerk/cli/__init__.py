"""The ``clerk`` command line: every command is a thin call of one service function.

``main`` loads only the command modules the command line needs (``clerk.cli.registry``), and turns
every error a person can cause into a short message and an exit status, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from clerk.cli.common import collector_paused, err_console
from clerk.cli.registry import build, modules_for
from clerk.errors import ClerkError, ConfigError

__all__ = ["main"]  # the complete Typer app is clerk.cli.app.app

#: The exit status of a command stopped by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs a command and returns its exit status.

    A usage error (unknown command, missing or unknown argument or option, bad value) prints the
    usage, a hint and the error, and returns 2; a refusal or bad input returns the error's status
    (2); Ctrl-C prints "Stopped." and returns 130.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with collector_paused():
            app = build(modules_for(args))
        result = app(args=args, prog_name="clerk", standalone_mode=False)
    except KeyboardInterrupt:  # typer turns one inside a command into exit status 130
        result = INTERRUPTED
    except ConfigError as exc:
        err_console.print(f"[bold red]The configuration in {exc.path} has {len(exc.problems)} problem(s):[/]")
        for problem in exc.problems:
            err_console.print(f"  - {problem}", markup=False, highlight=False)
        return 2
    except ClerkError as exc:
        err_console.print(f"clerk: {exc}", markup=False, highlight=False)
        return exc.exit_code
    except typer.Abort:
        err_console.print("Stopped.")
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # the base of the errors of the click that typer (>= 0.28)
        # bundles: a usage error is one, with exit_code 2
        _show(exc)
        return exc.exit_code
    if result == INTERRUPTED:
        err_console.print("Stopped.")
    return result if isinstance(result, int) else 0


def _show(exc: typer.TyperException) -> None:
    """Print an error the way click does (usage, "Try 'clerk --help' for help.", the error)."""
    show = getattr(exc, "show", None)
    if callable(show):
        show()
    else:
        err_console.print(f"Error: {exc.format_message()}", markup=False, highlight=False)
