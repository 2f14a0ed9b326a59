"""Doctor checks on this machine: the configuration, the database, file modes, disk, time zone, Maildir.

Each only reads: the database is opened read-only and nothing is created.
"""

from __future__ import annotations

import getpass
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from clerk.config import Config, load_config
from clerk.errors import ConfigError
from clerk.ops.files import database_files, walk_tree, wide_modes
from clerk.ops.verdicts import Check, Part, fail, ok, warn
from clerk.store.dbinfo import integrity_problems, open_read_only, row_counts, schema_state

MB = 1_048_576
DISK_FAIL_BYTES = 100 * MB
DISK_WARN_BYTES = 1024 * MB
DISK_WARN_FRACTION = 0.05


def check_configuration(path: Path) -> tuple[Config | None, list[Check]]:
    """The configuration loads; otherwise one failed check per problem."""
    part = Part.CONFIGURATION
    try:
        config = load_config(path)
    except ConfigError as exc:
        return None, [fail(part, "loads", problem, f"correct {path} (clerk check-config {path} "
                           "says more)", str(path)) for problem in exc.problems]
    bodies = ", ".join(config.bodies)
    return config, [ok(part, "loads", f"{len(config.bodies)} bodies: {bodies}", str(path)),
                    *(warn(part, "electorate", w, "add voting = true to the electorate filter",
                           str(path)) for w in config.warnings())]


def check_database(db: Path) -> list[Check]:
    """The database opens read-only, passes its integrity check and has every migration."""
    part, where = Part.DATABASE, str(db)
    if not db.exists():
        return [warn(part, "exists", f"there is no database at {db} yet",
                     "run clerk init (it creates the database and loads the bodies)", where)]
    try:
        conn = open_read_only(db)
    except (OSError, sqlite3.Error) as exc:
        return [fail(part, "opens", f"cannot open {db}: {exc}",
                     f"check that {db} is a clerk database readable by {_user()}", where)]
    checks: list[Check] = []
    try:
        problems = integrity_problems(conn)
        if problems:
            checks.append(fail(part, "integrity", "the integrity check found: " + "; ".join(problems),
                               "stop clerk and restore the latest backup (README: restoring a "
                               "backup)", where))
        else:
            counts = ", ".join(f"{n} {t}" for t, n in row_counts(conn).items())
            checks.append(ok(part, "integrity", f"integrity check passed ({counts})", where))
        state = schema_state(conn)
        if state.unknown:
            checks.append(fail(part, "schema", f"{state.describe()}: made by a newer clerk "
                               f"(unknown migrations: {', '.join(state.unknown)})",
                               "install the clerk version that wrote this database, or newer", where))
        elif state.pending:
            checks.append(warn(part, "schema", f"{state.describe()}: {len(state.pending)} to apply",
                               "run clerk init: it backs up the database beside it, then upgrades "
                               "the schema", where))
        else:
            checks.append(ok(part, "schema", f"{state.describe()}: up to date", where))
    except sqlite3.Error as exc:
        checks.append(fail(part, "reads", f"cannot read {db}: {exc}",
                           "stop clerk and restore the latest backup (README: restoring a backup)",
                           where))
    finally:
        conn.close()
    return checks


def check_database_modes(db: Path) -> list[Check]:
    """The database, its -wal and -shm, and its folder are for clerk's user only."""
    if not db.exists():
        return []
    wide = wide_modes(database_files(db))
    if not wide:
        return [ok(Part.DATABASE, "file modes", f"the database and its folder are readable by "
                   f"{_user()} only", str(db))]
    return [warn(Part.DATABASE, "file modes", f"{w.describe()}: it holds personal data and others "
                 "may read it", w.fix, str(w.path)) for w in wide]


def check_maildir(config: Config) -> list[Check]:
    """The local mail folders used in place of missing servers exist (or can be created), are
    writable, and are for clerk's user only."""
    root = config.maildir_path
    names = ([] if config.mail.smtp else ["outbox"]) + \
            ([] if config.mail.imap else ["inbox", "processed", "quarantine"])
    if not names:
        return []
    checks = [_folder_usable(root / name) for name in names]
    wide = wide_modes(walk_tree(root))
    if wide:
        example = wide[0]
        checks.append(warn(Part.MAILDIR, "file modes",
                           f"{len(wide)} file(s) or folder(s) under {root} are readable by others "
                           f"(for example {example.describe()}); they hold personal data",
                           f"chmod -R go-rwx {root}", str(root)))
    elif root.exists():
        checks.append(ok(Part.MAILDIR, "file modes", f"readable by {_user()} only", str(root)))
    return checks


def _folder_usable(folder: Path) -> Check:
    part, where = Part.MAILDIR, str(folder)
    if folder.exists():
        if not folder.is_dir():
            return fail(part, folder.name, f"{folder} is not a folder", f"move {folder} away", where)
        if os.access(folder, os.W_OK | os.X_OK):
            return ok(part, folder.name, "exists and is writable", where)
        return fail(part, folder.name, f"{folder} is not writable by {_user()}",
                    f"chown -R {_user()} {folder}", where)
    parent = _existing_parent(folder)
    if os.access(parent, os.W_OK | os.X_OK):
        return ok(part, folder.name, "does not exist yet; clerk creates it when first used", where)
    return fail(part, folder.name, f"{folder} does not exist and cannot be created: {parent} is not "
                f"writable by {_user()}", f"create {folder} owned by {_user()} (mode 700)", where)


def check_timezone(name: str) -> list[Check]:
    try:
        zone = ZoneInfo(name)
        now = datetime.now(UTC).astimezone(zone)
    except Exception as exc:
        return [fail(Part.TIMEZONE, "loads", f"the time zone {name} cannot be loaded: {exc}",
                     "install the tzdata package (pip install tzdata, or apt-get install tzdata)",
                     name)]
    return [ok(Part.TIMEZONE, "loads", f"{name} loads: it is {now:%H:%M} {now.tzname()} there now",
               name)]


def check_disk(db: Path) -> list[Check]:
    """Free space where the database lives."""
    folder = _existing_parent(db.parent)
    usage = shutil.disk_usage(folder)
    free, share = usage.free, usage.free / usage.total if usage.total else 0.0
    text = f"{free / MB:,.0f} MB free ({share:.0%}) on the disk holding {folder}"
    fix = f"free space on the disk holding {folder}, or move the database ([clerk] database)"
    if free < DISK_FAIL_BYTES:
        return [fail(Part.DISK, "free space", text + ": SQLite will fail to write", fix, str(folder))]
    if free < DISK_WARN_BYTES or share < DISK_WARN_FRACTION:
        return [warn(Part.DISK, "free space", text + ": running low", fix, str(folder))]
    return [ok(Part.DISK, "free space", text, str(folder))]


def _existing_parent(path: Path) -> Path:
    here = path.absolute()
    while not here.exists() and here.parent != here:
        here = here.parent
    return here


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return f"uid {os.getuid()}"
