"""The whole command tree with every command module loaded: ``clerk.cli.app.app``.

``clerk`` itself builds a root app with only the modules the command line needs (see
``clerk.cli.registry``); this module is for code that wants the complete Typer app.
"""

from __future__ import annotations

from clerk.cli.registry import MODULES, build

app = build(MODULES)
