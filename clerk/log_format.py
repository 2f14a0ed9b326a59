"""How ``clerk run`` writes its log: ``text`` (the default: a time, a level and a sentence per
line) or ``json`` (one JSON object per line, for log collectors). Only the choice lives here, so
the command line can offer it without loading the logging machinery; see
:mod:`clerk.log_setup`."""

from __future__ import annotations

from enum import StrEnum


class LogFormat(StrEnum):
    """The ``--log-format`` choices."""

    TEXT = "text"
    JSON = "json"
