"""What one doctor check found: a verdict, a sentence, and the fix in words."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class Part(StrEnum):
    """The part of an installation a check is about."""

    CONFIGURATION = "configuration"
    DATABASE = "database"
    DISK = "disk"
    TIMEZONE = "timezone"
    MAILDIR = "maildir"
    SMTP = "smtp"
    IMAP = "imap"
    TELEGRAM = "telegram"
    CONSOLE = "console"
    RETENTION = "retention"


@dataclass(frozen=True)
class Check:
    """One finding. ``where`` is the path or host:port it is about; ``fix`` says what to do."""

    part: Part
    name: str
    verdict: Verdict
    detail: str
    where: str = ""
    fix: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["part"] = self.part.value
        data["verdict"] = self.verdict.value
        return data


def ok(part: Part, name: str, detail: str, where: str = "") -> Check:
    return Check(part, name, Verdict.OK, detail, where)


def warn(part: Part, name: str, detail: str, fix: str, where: str = "") -> Check:
    return Check(part, name, Verdict.WARN, detail, where, fix)


def fail(part: Part, name: str, detail: str, fix: str, where: str = "") -> Check:
    return Check(part, name, Verdict.FAIL, detail, where, fix)
