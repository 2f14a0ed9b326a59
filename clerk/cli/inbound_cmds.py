"""``clerk mail ingest`` and ``clerk mail inbox``: replies read and replayed."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the top-level commands of this module to the root app (the mail group is shared)."""
