"""Doctor's retention check: when the daily retention job last ran and what it removed (counts
only), and a warning when it has stopped running while clerk's scheduler runs other deadlines."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from clerk.config import Config
from clerk.ops.verdicts import Check, Part, ok, warn
from clerk.rules.retention import retention_health
from clerk.rules.verdict import plural
from clerk.store.dbinfo import open_read_only
from clerk.times import from_iso


def _last(conn: sqlite3.Connection, sql: str) -> tuple[datetime, str] | None:
    row = conn.execute(sql).fetchone()
    return (from_iso(row[0]), str(row[1])) if row and row[0] else None


def check_retention(config: Config, now: datetime | None = None) -> list[Check]:
    """What retention last did (``job_runs``), read-only; nothing to say without a database."""
    part, db = Part.RETENTION, config.database_path
    where = str(db)
    settings = config.retention
    policy = (f"raw mail after {plural(settings.raw_mail_days, 'day')}, former members after "
              f"{plural(settings.former_members_years, 'year')}")
    if not Path(db).exists():
        return []
    now = now or datetime.now(UTC)
    conn = open_read_only(db)
    try:
        last = _last(conn, "SELECT ran_at, outcome FROM job_runs WHERE kind = 'retention' "
                           "ORDER BY ran_at DESC LIMIT 1")
        any_job = _last(conn, "SELECT ran_at, kind FROM job_runs ORDER BY ran_at DESC LIMIT 1")
    except sqlite3.Error:
        return []  # the database check says what is wrong with it
    finally:
        conn.close()
    verdict = retention_health(last[0] if last else None, any_job[0] if any_job else None, now)
    when = f"last ran {last[0].astimezone(config.timezone):%a %d %b %Y %H:%M}" if last else \
        "has not run yet"
    detail = f"{when}" + (f": {last[1].removeprefix('retention: ')}" if last else "") + \
        f" ({policy})"
    if verdict.ok:
        return [ok(part, "last run", detail, where)]
    return [warn(part, "last run", f"{detail}; {verdict.reason}",
                 "check that clerk run is running (its scheduler runs retention every day at "
                 "03:00); clerk schedule shows what is due", where)]
