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
    from rich.console import Console, RenderableType
    from rich.table import Table

    from clerk.app import Clerk


# The width of a console that writes to a file or a pipe: no screen to fit, so nothing is wrapped
# or cut (each row of a table is one line, for grep and cut), whatever $COLUMNS says.
_NO_SCREEN = 1_000_000


class _LazyConsole:
    """A rich Console made on first use, so that a command printing JSON (or nothing) and a usage
    error never load rich.

    On a terminal it is as wide as the terminal; writing to a file or a pipe it is as wide as a
    line needs. A table printed through it never cuts or ellipsises a word (an identifier is a
    word: a meeting reference, an email address, a file name), and prints its cells as they are,
    without rich markup: see _whole_words."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def _made(self) -> Console:
        if self._console is None:
            from rich.console import Console

            made = Console(**self._options)
            if not made.is_terminal:
                made.width = _NO_SCREEN
            self._console = made
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._made(), name)

    def print(self, *objects: Any, **options: Any) -> None:
        """Console.print, with every table in ``objects`` fitted by _whole_words."""
        real = self._made()
        tables = sys.modules.get("rich.table")  # no object is a table unless rich.table is loaded
        if tables is not None and any(isinstance(o, tables.Table) for o in objects):
            # cells are data: "[draft]" is printed as it is, unless the caller asks for markup
            markup = options.setdefault("markup", False) is not False
            objects = tuple(_whole_words(real, o, markup=markup)
                            if isinstance(o, tables.Table) else o for o in objects)
        real.print(*objects, **options)


def _whole_words(console: Console, table: Table, *, markup: bool) -> RenderableType:
    """``table`` drawn so that no word in it is cut: as it is when it fits the console; else at
    column widths that hold each column's longest word, the spare room shared by the columns
    with longer text (which wraps at its spaces); else, when even the longest words side by side
    are wider than the screen, one block of "header  value" lines a row, which the terminal may
    wrap but nothing cuts. (It sets the widths of the table's columns.)"""
    from rich.measure import Measurement

    for column in table.columns:
        column.overflow = "fold"  # should a measure below ever be short, a word folds; never cut
    if console.width >= _NO_SCREEN:
        return table
    wide = console.options.update(width=_NO_SCREEN, markup=markup)
    spans: list[tuple[int, int]] = []  # each column's longest word and longest line
    for column in table.columns:
        cells = [*([column.header] if table.show_header else []), *column.cells,
                 *([column.footer] if table.show_footer else [])]
        sizes = [Measurement.get(console, wide, cell) for cell in cells]
        spans.append((max((m.minimum for m in sizes), default=0),
                      max((m.maximum for m in sizes), default=0)))
    rules_and_padding = Measurement.get(console, wide, table).minimum - sum(lo for lo, _ in spans)
    room = console.width - rules_and_padding
    if sum(hi for _, hi in spans) <= room:
        return table
    if sum(lo for lo, _ in spans) <= room:
        for column, width in zip(table.columns, _shared(room, spans), strict=True):
            column.width = width
        return table
    return _records(table, markup=markup)


def _shared(room: int, spans: list[tuple[int, int]]) -> list[int]:
    """Column widths that add up to at most ``room``: each column its longest word, and the rest
    shared out, shortest text first, so that as many columns as can be are on one line and the
    longest texts share what is left equally."""
    widths = [lo for lo, _ in spans]
    spare = room - sum(widths)
    order = sorted(range(len(spans)), key=lambda i: spans[i][1] - spans[i][0])
    for served, i in enumerate(order):
        give = min(spans[i][1] - widths[i], spare // (len(order) - served))
        widths[i] += give
        spare -= give
    return widths


def _records(table: Table, *, markup: bool) -> RenderableType:
    """The rows of ``table`` as blocks of "header  value" lines (empty values left out), a blank
    line between rows; a line is never wrapped or cut by rich."""
    from rich.console import Group
    from rich.text import Text

    def text(cell: Any) -> Text:
        if isinstance(cell, Text):
            return cell
        return Text.from_markup(cell) if markup and isinstance(cell, str) else Text(str(cell))

    labels = [text(column.header).plain for column in table.columns]
    pad = max((len(label) for label in labels), default=0) + 2
    lines: list[Text] = []
    for row in zip(*(list(column.cells) for column in table.columns), strict=True):
        if lines:
            lines.append(Text(""))
        for label, cell in zip(labels, row, strict=True):
            value = text(cell)
            if not value.plain.strip():
                continue
            value = Text("\n" + " " * pad).join(value.split("\n"))  # later lines under the first
            line = Text.assemble((label.ljust(pad), "table.header"), value)
            line.no_wrap, line.overflow = True, "ignore"
            lines.append(line)
    return Group(*lines)


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
