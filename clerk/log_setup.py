"""Setting up the log of ``clerk run`` (stdlib logging only): one line per event on stderr, as
text or as one JSON object per line (``time`` in ISO 8601 UTC, ``level``, ``logger``,
``message``, and ``exception`` when there is a traceback)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from clerk.log_format import LogFormat

TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"
TEXT_DATEFMT = "%Y-%m-%d %H:%M:%S"
#: Libraries that would otherwise log a line per request or per job.
NOISY = ("apscheduler", "aiohttp", "telegram", "aiosmtplib", "httpx")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in the text are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def formatter_for(log_format: LogFormat) -> logging.Formatter:
    if log_format is LogFormat.JSON:
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT, datefmt=TEXT_DATEFMT)


def configure_logging(level: int = logging.INFO, log_format: LogFormat = LogFormat.TEXT, *,
                      stream: TextIO | None = None) -> None:
    """Send every log record at ``level`` or above to ``stream`` (stderr) in ``log_format``,
    replacing any handler set up before."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
