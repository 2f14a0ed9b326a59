"""Which module registers each command, and a root app built from only the modules a command needs.

``clerk meetings list`` imports the meetings commands and nothing else, so a read command starts in
a fraction of the time it takes to import every service. ``clerk --help``, ``clerk`` alone and an
unknown command load every module, so the help lists every command and a typo gets "Did you mean".
Each command module has ``register(app)``, which adds its commands and groups to the root app.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Annotated

import typer

from clerk.cli.common import ConfigOption, _state

#: Every command module, in the order their commands are listed in the help.
MODULES: tuple[str, ...] = (
    "setup_cmds", "ops_cmds", "members_cmds", "meetings_cmds", "outbound_cmds", "mail_cmds",
    "inbound_cmds", "run_cmds", "papers_cmds", "ratify_cmds", "bookings_cmds", "audit_cmds",
    "console_cmds", "plan_cmds", "report_cmds", "extraordinary_cmds",
    "actions_cmds", "elections_cmds", "people_cmds",
)

_MAIL = ("mail_cmds", "outbound_cmds", "inbound_cmds")
_PAPERS = ("papers_cmds",)

#: Each top-level command or group, and the modules that register it or add commands to it
#: (``meetings move`` and ``mail send`` live beside ``invite`` in outbound_cmds).
COMMANDS: dict[str, tuple[str, ...]] = {
    "init": ("setup_cmds",),
    "check-config": ("setup_cmds",),
    "members": ("members_cmds",),
    "meetings": ("meetings_cmds", "outbound_cmds", "plan_cmds", "extraordinary_cmds"),
    "attendance": ("meetings_cmds",),
    "decisions": ("meetings_cmds",),
    "invite": ("outbound_cmds",),
    "mail": _MAIL,
    "run": ("run_cmds",),
    "schedule": ("run_cmds",),
    "ratify": ("ratify_cmds",),
    "bookings": ("bookings_cmds",),
    "agenda": _PAPERS,
    "papers": _PAPERS,
    "minutes": _PAPERS,
    "declare": _PAPERS,
    "publish": _PAPERS,
    "audit": ("audit_cmds",),
    "doctor": ("ops_cmds",),
    "backup": ("ops_cmds",),
    "console": ("console_cmds",),
    "report": ("report_cmds",),
    "actions": ("actions_cmds",),
    "elections": ("elections_cmds",),
    "people": ("people_cmds",),
}

#: The root options that take a value (the word after them is not a command).
_VALUE_OPTIONS = frozenset({"-c", "--config"})
_HELP = ("--help", "-h")
HELP = "clerk: the paperwork of partnership boards, by email and chat."


def command_name(args: Sequence[str]) -> str | None:
    """The command or group a command line asks for (its first word that is not a root option)."""
    takes_value = False
    for arg in args:
        if takes_value:
            takes_value = False
        elif arg in _VALUE_OPTIONS:
            takes_value = True
        elif arg != "--" and not arg.startswith("-"):
            return arg
    return None


def modules_for(args: Sequence[str]) -> tuple[str, ...]:
    """The command modules a command line needs: those of its command; all of them for the help
    (and for an unknown command, so that the error can suggest the right one); none for
    ``--version`` and the other root options."""
    name = command_name(args)
    if name in COMMANDS:
        return tuple(m for m in MODULES if m in COMMANDS[name])
    if name is None and args and not any(a in _HELP for a in args):
        return ()
    return MODULES


def _show_version(value: bool) -> None:
    if value:
        from clerk import version

        typer.echo(f"clerk {version()}")
        raise typer.Exit()


VersionOption = Annotated[bool, typer.Option(
    "--version", callback=_show_version, is_eager=True, help="Print clerk's version and exit.")]


def root(config: ConfigOption = None, version: VersionOption = False) -> None:
    """clerk: the paperwork of partnership boards, by email and chat."""
    _state["config"] = config


def build(modules: Sequence[str] = MODULES) -> typer.Typer:
    """The root app with the commands of these modules (short names, as in MODULES)."""
    app = typer.Typer(
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": list(_HELP)},
    )
    app.callback()(root)
    for name in modules:
        importlib.import_module(f"clerk.cli.{name}").register(app)
    return app
