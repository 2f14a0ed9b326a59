"""What every command shares: finding the configuration, opening clerk, printing data or JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from clerk.app import Clerk, open_clerk
from clerk.errors import BadInput
from clerk.services.bodies import sync_bodies

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

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


def open_app(explicit: Path | None = None) -> Clerk:
    """Open clerk on the chosen configuration; the configured bodies are mirrored first."""
    app = open_clerk(config_path(explicit))
    sync_bodies(app)
    return app


def print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str, ensure_ascii=False))


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
