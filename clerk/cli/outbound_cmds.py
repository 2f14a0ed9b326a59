"""``clerk invite``, ``clerk meetings move|cancel``, ``clerk mail send|outbox``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the top-level commands of this module to the root app (the mail group is shared)."""
