"""What a long-running part of ``clerk run`` offers the composition root (:class:`Worker`): the
adapters (``mail.worker``, ``bot.worker``) build them, :mod:`clerk.composition.run` runs them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Worker:
    """A long-running part of the service: ``run(stop)`` returns when ``stop`` is set."""

    name: str
    run: Callable[[asyncio.Event], Coroutine[Any, Any, None]]
    once: Callable[[], Coroutine[Any, Any, None]] | None = None
    #: As ``once``, but returning after the message in hand when the event is set (preferred
    #: by ``clerk run --once`` where given).
    once_until: Callable[[asyncio.Event], Coroutine[Any, Any, None]] | None = None
    #: Given by the inbox reader: one full pass over the inbox, safe to call while ``run`` is
    #: running (the deadline keeper calls it before deadlines that depend on replies).
    read_to_end: Callable[[], Coroutine[Any, Any, object]] | None = None
