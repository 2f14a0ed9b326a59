"""``clerk doctor``: the small named checks a go-live needs, each with a verdict and the fix.

Doctor reads: it opens the database read-only and sends nothing unless asked to send a test
message. (The one thing it may create is an IMAP folder clerk would create at its first read.)
Each check turns its own errors into a verdict, so a broken part never hides the others.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clerk.ops.console_check import check_console
from clerk.ops.local_checks import (
    check_configuration,
    check_database,
    check_database_modes,
    check_disk,
    check_maildir,
    check_timezone,
)
from clerk.ops.mail_checks import check_imap, check_smtp
from clerk.ops.retention_check import check_retention
from clerk.ops.telegram_check import check_telegram
from clerk.ops.verdicts import Check, Part, Verdict, fail


@dataclass
class DoctorReport:
    config_path: Path
    checks: list[Check] = field(default_factory=list)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for c in self.checks if c.verdict is verdict)

    @property
    def ok(self) -> bool:
        return self.count(Verdict.FAIL) == 0

    def summary(self) -> str:
        failed, warned = self.count(Verdict.FAIL), self.count(Verdict.WARN)
        head = "Ready." if self.ok and not warned else ("Usable, with warnings." if self.ok
                                                         else "Not ready.")
        return (f"{head} {failed} failed, {warned} warning{'s' if warned != 1 else ''}, "
                f"{self.count(Verdict.OK)} ok.")

    def as_json(self) -> dict[str, Any]:
        return {"config": str(self.config_path), "ok": self.ok,
                "counts": {v.value: self.count(v) for v in Verdict},
                "checks": [c.as_json() for c in self.checks]}


def run_doctor(config_path: Path, *, send_test: str | None = None,
               tls_context: ssl.SSLContext | None = None) -> DoctorReport:
    """Run every check that applies to the configuration at ``config_path``."""
    report = DoctorReport(config_path)
    config, found = check_configuration(config_path)
    report.checks.extend(found)
    if config is None:
        return report
    db = config.database_path
    steps: list[tuple[Part, Callable[[], list[Check]]]] = [
        (Part.DATABASE, lambda: check_database_modes(db)),  # before SQLite opens a -shm beside it
        (Part.DATABASE, lambda: check_database(db)),
        (Part.DISK, lambda: check_disk(db)),
        (Part.TIMEZONE, lambda: check_timezone(config.clerk.timezone)),
        (Part.MAILDIR, lambda: check_maildir(config)),
        (Part.SMTP, lambda: check_smtp(config, send_test=send_test, tls_context=tls_context)),
        (Part.IMAP, lambda: check_imap(config, ssl_context=tls_context)),
        (Part.TELEGRAM, lambda: check_telegram(config)),
        (Part.CONSOLE, lambda: check_console(config)),
        (Part.RETENTION, lambda: check_retention(config)),
    ]
    for part, step in steps:
        try:
            report.checks.extend(step())
        except Exception as exc:  # a check must never take doctor down with a traceback
            report.checks.append(fail(part, "check", f"the check itself failed: "
                                      f"{type(exc).__name__}: {exc}",
                                      "report this to clerk's maintainers with this line"))
    if send_test and config.mail.smtp is None:
        report.checks.append(fail(Part.SMTP, "test message", "--send-test needs a mail server: "
                                  "there is no [mail.smtp] (mail goes to the local Maildir)",
                                  "configure [mail.smtp], or leave out --send-test"))
    return report
