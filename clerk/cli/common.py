"""What every command shares: finding the configuration, opening clerk, printing data or JSON."""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from clerk.errors import BadInput

if TYPE_CHECKING:
    from rich.console import Console

    from clerk.app import Clerk


class _LazyConsole:
    """A rich Console made on first use, so that a command printing JSON (or nothing) and a usage
    error never load rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console = cast("Console", _LazyConsole(highlight=False, soft_wrap=True))
err_console = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True))

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="The configuration file (default: $CLERK_CONFIG, "
                 "./config.toml, then ./config.example.toml).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]

_state: dict[str, Any] = {}


def config_path(explicit: Path | None = None) -> Path:
    """The configuration to use: the --config given, else $CLERK_CONFIG, else a file here."""
    chosen = explicit or _state.get("config")
    if chosen:
        return Path(chosen)
    if os.environ.get("CLERK_CONFIG"):
        return Path(os.environ["CLERK_CONFIG"])
    for name in ("config.toml", "config.example.toml"):
        if Path(name).exists():
            return Path(name)
    raise BadInput("no configuration: pass --config PATH or set CLERK_CONFIG "
                   "(copy config.example.toml to start)")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while modules load: importing makes many objects
    and no garbage, and the collector's passes over them cost about 5% of a command's start-up."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def open_app(explicit: Path | None = None) -> Clerk:
    """Open clerk on the chosen configuration; the configured bodies are mirrored first."""
    with collector_paused():
        from clerk.app import open_clerk  # the configuration's models load when a command needs them
        from clerk.people import sync_bodies

        app = open_clerk(config_path(explicit))
        sync_bodies(app)
    return app


def print_json(data: Any) -> None:
    """Print data as indented JSON: coloured on a terminal; elsewhere the same text, written plainly."""
    if sys.stdout.isatty():
        console.print_json(json.dumps(data, default=str, ensure_ascii=False))
    else:
        sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def parse_when(text: str, zone: Any) -> Any:
    """A local date and time from the command line, or a clear BadInput."""
    from clerk.times import parse_local

    try:
        return parse_local(text, zone)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def check_choice(name: str, value: str | None, choices: Any) -> None:
    """Refuse an option value outside its choices, naming them."""
    if value is not None and value not in choices:
        raise BadInput(f'{name} must be one of {", ".join(choices)}, got "{value}"')
