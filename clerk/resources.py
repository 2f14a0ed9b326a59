"""Finding clerk's package data (the Jinja2 templates) wherever clerk runs.

An installed wheel carries the repository's ``templates/`` as ``clerk/templates/``, found with
importlib.resources; a source checkout (the editable install, pytest from the checkout) has no
``clerk/templates/`` and uses the repository's ``templates/`` folder beside the ``clerk`` package.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


class TemplatesNotFound(RuntimeError):
    """Neither the installed package nor the checkout holds the templates (a broken install)."""


@lru_cache(maxsize=1)
def templates_dir() -> Path:
    """The folder holding ``email/``, ``chat/`` and ``site/`` templates."""
    from importlib.resources import files  # loaded when a message is first rendered, not at start

    packaged = files("clerk") / "templates"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise TemplatesNotFound(
        f"clerk's templates are missing: neither {packaged} nor {checkout} exists; reinstall clerk"
    )
