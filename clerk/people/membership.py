"""Members: importing the membership from CSV (any common delimiter and encoding; unknown
columns ignored with a warning; bad rows and people listed twice reported, good rows kept), ending
a membership (kept in the records, no longer invited), and listing it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.people.directory import (
    SEAT_SQL,
    ensure_person,
    find_person,
    is_email,
    named_substitutes,
    normalise_email,
    rename_person,
)
from clerk.people.undeliverable import mark_deliverable
from clerk.rules.people import ended_member_in_import, may_end_membership
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one, insert, update
from clerk.times import to_iso

COLUMNS = ["body", "name", "email", "role", "office", "organisation", "sector", "carer", "voting",
           "advisory", "substitute_name", "substitute_email"]
REQUIRED = ["body", "name", "email"]
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"no", "n", "false", "0", ""}

#: The delimiters a membership file may use, with their names for people.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass
class ImportReport:
    """What an import did: counts, one message per rejected row (with its line number), and one
    per row applied with a caveat or skipped without being wrong (``warnings``: line 1 for the
    header). ``delimiter`` and ``encoding`` say how the file was read (``encoding`` is ``""``
    when the caller gave text, not bytes); ``ignored_columns`` the columns clerk does not know;
    ``kept_ended`` the rows skipped because that membership has ended."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    delimiter: str = ","
    encoding: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    kept_ended: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def delimiter_name(self) -> str:
        return DELIMITERS.get(self.delimiter, repr(self.delimiter))


def decode_csv(data: bytes, source: str = "the file") -> tuple[str, str]:
    """The text of a membership file and the encoding it was read in: UTF-8 (with or without the
    byte-order mark spreadsheets write), UTF-16 with its mark (a spreadsheet's "Unicode text"),
    else Windows-1252 (what Excel writes as "CSV" in western European locales)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, tried = data[3:], [("utf-8", "UTF-8 with BOM")]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        tried = [("utf-16", "UTF-16")]
    else:
        tried = [("utf-8", "UTF-8"), ("cp1252", "Windows-1252")]
    for codec, name in tried:
        try:
            return data.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise BadInput(f"{source} could not be read as {' or as '.join(name for _, name in tried)} "
                   "text; save it from your spreadsheet as 'CSV UTF-8'")


def _column_name(text: str) -> str:
    """A header cell as a column name: ``Substitute Name`` and ``substitute-name`` are
    ``substitute_name``."""
    return "_".join(text.strip().lower().replace("-", " ").split())


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a membership file, from its first line: the one (comma, semicolon or
    tab) that splits it into the most column names clerk knows; when none names any, what
    :class:`csv.Sniffer` makes of the line (a comma if it cannot tell)."""
    known = {d: sum(_column_name(cell) in COLUMNS for cell in next(csv.reader([header_line],
                                                                              delimiter=d)))
             for d in DELIMITERS}
    best = max(known, key=lambda d: known[d])
    if known[best]:
        return best
    try:
        return csv.Sniffer().sniff(header_line, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _flag(value: str, column: str, default: bool) -> bool:
    text = value.strip().lower()
    if text == "":
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(f'{column} must be yes or no, got "{value}"', column)


class RowError(ValueError):
    """A membership row cannot be read: the sentence, and the ``column`` it is about."""

    def __init__(self, message: str, column: str) -> None:
        super().__init__(message)
        self.column = column


def _parse_row(row: dict[str, str], bodies: set[str]) -> dict[str, Any]:
    def get(name: str) -> str:
        return (row.get(name) or "").strip()

    missing = [c for c in REQUIRED if not get(c)]
    if missing:
        raise RowError(f"{', '.join(missing)} is empty", missing[0])
    if get("body") not in bodies:
        raise RowError(f'body "{get("body")}" is not in the configuration '
                       f"(known: {', '.join(sorted(bodies))})", "body")
    if not is_email(get("email")):
        raise RowError(f'email "{get("email")}" is not an email address', "email")
    sub_name, sub_email = get("substitute_name"), get("substitute_email")
    if sub_email and not is_email(sub_email):
        raise RowError(f'substitute_email "{sub_email}" is not an email address',
                       "substitute_email")
    if sub_name and not sub_email:
        raise RowError("substitute_name is given but substitute_email is empty",
                       "substitute_email")
    if normalise_email(sub_email) == normalise_email(get("email")):
        raise RowError("a member cannot be their own substitute", "substitute_email")
    advisory = _flag(get("advisory"), "advisory", False)
    return {
        "body": get("body"),
        "name": get("name"),
        "email": normalise_email(get("email")),
        "role": get("role").lower() or ("advisory" if advisory else "member"),
        "office": get("office").lower().replace("-", "_").replace(" ", "_"),
        "organisation": get("organisation"),
        "sector": get("sector"),
        "carer": int(_flag(get("carer"), "carer", False)),
        "voting": int(_flag(get("voting"), "voting", not advisory)),
        "advisory": int(advisory),
        "substitute_name": sub_name,
        "substitute_email": normalise_email(sub_email),
    }


def _lines_in_words(lines: list[int]) -> str:
    return ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"


def _read_rows(text: str, source: str, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    """The file's rows by line number, under the column names clerk knows; the header's
    problems are a BadInput (missing or repeated columns) or a warning (unknown ones). A first
    line ``sep=;`` (which Excel writes and reads) names the delimiter; else it is sniffed."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    said = re.fullmatch(r"sep=(.)", first_line.strip(), flags=re.IGNORECASE)  # Excel's hint
    if said:
        report.delimiter = said.group(1)
    else:
        report.delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text), delimiter=report.delimiter)
    if said:
        next(reader)
    header = [_column_name(h) for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadInput(f"{source}: the first line must name the columns, separated by commas, "
                       f"semicolons or tabs; missing: {', '.join(missing)} "
                       f"(expected {', '.join(COLUMNS)})")
    repeated = sorted({h for h in header if h in COLUMNS and header.count(h) > 1})
    if repeated:
        raise BadInput(f"{source}: the first line names {', '.join(repeated)} more than once; "
                       "keep one column of each name")
    report.ignored_columns = [h for h in header if h and h not in COLUMNS]
    known = [(i, h) for i, h in enumerate(header) if h in COLUMNS]
    unnamed = [i for i, h in enumerate(header) if not h]
    rows: list[tuple[int, dict[str, str]]] = []
    unnamed_used = False
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        extra = cells[len(header):]
        unnamed_used = unnamed_used or any(cells[i].strip() for i in unnamed if i < len(cells))
        if any(c.strip() for c in extra):
            report.errors.append((line, "this row has more cells than the header has columns"))
            continue
        rows.append((line, {h: cells[i] if i < len(cells) else "" for i, h in known}))
    if report.ignored_columns:
        report.warnings.append((1, f"the column(s) {', '.join(report.ignored_columns)} are not "
                                   f"ones clerk knows, so they were ignored (clerk reads "
                                   f"{', '.join(COLUMNS)})"))
    if unnamed_used:
        report.warnings.append((1, "a column without a name in the first line was ignored; "
                                   "give it one of clerk's column names if clerk should read it"))
    return rows


def _without_duplicates(rows: list[tuple[int, dict[str, str]]],
                        report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    """The rows of people listed once for a body. A person listed twice for the same body is
    an error on each of their rows, and neither is applied: which one is right is for the
    facilitator to say, not for the last row to decide."""
    lines_of: dict[tuple[str, str], list[int]] = defaultdict(list)
    for line, row in rows:
        body, email = (row.get("body") or "").strip(), normalise_email(row.get("email") or "")
        if body and email:
            lines_of[(body, email)].append(line)
    out = []
    for line, row in rows:
        key = ((row.get("body") or "").strip(), normalise_email(row.get("email") or ""))
        lines = lines_of.get(key, [])
        if len(lines) > 1:
            report.errors.append((line, f"{key[1]} is listed for {key[0]} on lines "
                                        f"{_lines_in_words(lines)}; none of these rows was "
                                        "applied, so their membership is unchanged: keep one "
                                        "row for them and import again"))
            continue
        out.append((line, row))
    return out


@dataclass(frozen=True)
class FieldChange:
    """One field of a membership an import or an edit changes: its column name, the value
    before and after, as text (``""`` for none; flags as ``yes``/``no``)."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class PlannedRow:
    """A row of a membership file that will be applied: its line, whose membership of which
    body, and what it does: ``created`` (a new membership), ``updated`` (with ``changes``; a
    membership that had ended and comes back has ``rejoins``) or ``unchanged``. ``values`` are
    the row as read."""

    line: int
    body: str
    email: str
    name: str
    outcome: Literal["created", "updated", "unchanged"]
    changes: tuple[FieldChange, ...] = ()
    rejoins: bool = False
    values: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ImportPreview:
    """What importing a membership file would do, read without changing anything
    (:func:`preview_import`): the rows that would be applied (added, changed, unchanged), the
    rejected rows (``errors``) and the caveats (``warnings``), as the import itself would report
    them; ``not_in_file`` names the body's members the file does not list (an import never ends
    a membership: they stay). ``fingerprint`` names this file and this outcome: the import
    given it as ``expect`` applies exactly this, or refuses."""

    body: str | None
    rows: tuple[PlannedRow, ...]
    errors: tuple[tuple[int, str], ...]
    warnings: tuple[tuple[int, str], ...]
    delimiter: str
    encoding: str
    ignored_columns: tuple[str, ...]
    kept_ended: int
    not_in_file: tuple[str, ...]
    fingerprint: str

    @property
    def added(self) -> tuple[PlannedRow, ...]:
        return tuple(r for r in self.rows if r.outcome == "created")

    @property
    def changed(self) -> tuple[PlannedRow, ...]:
        return tuple(r for r in self.rows if r.outcome == "updated")

    @property
    def unchanged(self) -> tuple[PlannedRow, ...]:
        return tuple(r for r in self.rows if r.outcome == "unchanged")

    @property
    def delimiter_name(self) -> str:
        return DELIMITERS.get(self.delimiter, repr(self.delimiter))


#: What to do when a file lists someone whose membership has ended, said for each channel.
_REJOIN_HINT = {"cli": "import the file with --rejoin",
                "console": "import the file again saying that they have rejoined"}


def _read_file(app: Clerk, data: str | bytes, source: str, body: str | None,
               report: ImportReport) -> list[tuple[int, dict[str, Any]]]:
    """The rows of a membership file that may be applied, parsed, by line number (the one
    reading of a file, shared by :func:`import_members` and :func:`preview_import`); the
    rejected rows are in ``report.errors``. With ``body``, rows for the other bodies are
    skipped with a warning: that import is for one body."""
    if isinstance(data, bytes):
        text, report.encoding = decode_csv(data, source)
    else:
        text = data.lstrip("\ufeff")
    bodies = set(app.config.bodies)
    rows = _read_rows(text, source, report)
    if body is not None:
        label = app.body(body).name
        mine = []
        for line, row in rows:
            slug = (row.get("body") or "").strip()
            if slug in bodies and slug != body:
                report.warnings.append((line, f"this row is for {app.body(slug).name}, so it was "
                                              f"skipped: this import is for {label} only"))
                continue
            mine.append((line, row))
        rows = mine
    parsed: list[tuple[int, dict[str, Any]]] = []
    for line, row in _without_duplicates(rows, report):
        try:
            parsed.append((line, _parse_row(row, bodies)))
        except ValueError as exc:
            report.errors.append((line, str(exc)))
    return parsed


def _plan(db: Database, parsed: list[tuple[int, dict[str, Any]]], report: ImportReport, *,
          rejoin: bool, channel: str) -> list[PlannedRow]:
    """What each parsed row does to the membership in ``db`` (reads only), as the rows are
    applied one after another: a row for a member whose membership has ended is skipped (a
    warning) unless ``rejoin``; a substitute already standing for another member is an error."""
    planned: list[PlannedRow] = []
    names: dict[str, str] = {}  # the names earlier rows give
    claimed: dict[tuple[str, str], str] = {}  # (body, member) -> the substitute earlier rows name
    for line, row in parsed:
        ended = _ended_on(db, row["body"], row["email"])
        if ended is not None:
            verdict = ended_member_in_import(ended, rejoin=rejoin)
            if not verdict.ok:
                report.kept_ended += 1
                report.warnings.append((line, f"{row['email']} on {row['body']}: "
                                              f"{verdict.reason}, so this row was skipped "
                                              "(it would have made them a member again); "
                                              "if they have rejoined, "
                                              f"{_REJOIN_HINT.get(channel, _REJOIN_HINT['cli'])}"))
                continue
        problem = _substitute_conflict(db, row, claimed)
        if problem:
            report.errors.append((line, problem))
            continue
        planned.append(_planned_row(db, line, row, names.get(row["email"]),
                                    rejoins=ended is not None))
        names[row["email"]] = row["name"]
        if row["substitute_email"]:
            claimed[(row["body"], row["email"])] = row["substitute_email"]
    return planned


_SEAT_FIELDS = ("role", "office", "organisation", "sector", "carer", "voting", "advisory")
_FLAGS = ("carer", "voting", "advisory")


def _shown(name: str, value: Any) -> str:
    if name in _FLAGS:
        return "yes" if value else "no"
    return str(value or "")


def _planned_row(db: Database, line: int, row: dict[str, Any], name_before: str | None, *,
                 rejoins: bool = False, clear_substitute: bool = False) -> PlannedRow:
    """How ``row`` changes its membership (``name_before``: the person's name as an earlier
    row left it). A substitute is changed when the row names one (or ``clear_substitute``)."""
    person = find_person(db, row["email"])
    existing = None if person is None else fetch_one(
        db, "SELECT * FROM memberships WHERE body = ? AND person_id = ?", [row["body"], person.id])
    if person is None or existing is None:
        return PlannedRow(line, row["body"], row["email"], row["name"], "created", values=row)
    changes: list[FieldChange] = []
    before = name_before if name_before is not None else person.name
    if before != row["name"]:
        changes.append(FieldChange("name", before, row["name"]))
    for name in _SEAT_FIELDS:
        if existing[name] != row[name]:
            changes.append(FieldChange(name, _shown(name, existing[name]), _shown(name, row[name])))
    subs = named_substitutes(db, row["body"], person.id)
    wanted = row["substitute_email"]
    if (wanted and subs != [wanted]) or (clear_substitute and not wanted and subs):
        changes.append(FieldChange("substitute", ", ".join(subs), wanted))
    if rejoins:
        changes.append(FieldChange("membership", f"ended on {existing['ended_on'] or '?'}",
                                   "member again"))
    return PlannedRow(line, row["body"], row["email"], row["name"],
                      "updated" if changes else "unchanged", tuple(changes), rejoins, values=row)


def _fingerprint(data: str | bytes, body: str | None, planned: list[PlannedRow],
                 report: ImportReport) -> str:
    """A digest of the file and of what importing it does (rows, errors, warnings)."""
    content = data if isinstance(data, bytes) else data.encode("utf-8")
    outline = {"file": hashlib.sha256(content).hexdigest(), "body": body,
               "rows": [[p.line, p.body, p.email, p.outcome,
                         [[c.field, c.before, c.after] for c in p.changes]] for p in planned],
               "errors": sorted(report.errors), "warnings": sorted(report.warnings)}
    return hashlib.sha256(json.dumps(outline, sort_keys=True).encode()).hexdigest()


def preview_import(app: Clerk, data: str | bytes, *, body: str | None = None,
                   source: str = "csv", rejoin: bool = False,
                   channel: str = "console") -> ImportPreview:
    """What :func:`import_members` would do with this file now, changing nothing: the same
    reading of the file and the same decisions, row by row. A file that cannot be read at all
    is a BadInput, as for the import."""
    report = ImportReport()
    parsed = _read_file(app, data, source, body, report)
    db = app.store.db
    planned = _plan(db, parsed, report, rejoin=rejoin, channel=channel)
    listed = {(p.body, p.email) for p in planned}
    listed |= {(r["body"], r["email"]) for _, r in parsed}
    not_in_file: tuple[str, ...] = ()
    if body is not None:
        not_in_file = tuple(r["name"] for r in fetch_all(db, SEAT_SQL, [body])
                            if (body, r["email"]) not in listed)
    fingerprint = _fingerprint(data, body, planned, report)
    return ImportPreview(body, tuple(planned), tuple(sorted(report.errors)),
                         tuple(sorted(report.warnings)), report.delimiter, report.encoding,
                         tuple(report.ignored_columns), report.kept_ended, not_in_file,
                         fingerprint)


def import_members(app: Clerk, data: str | bytes, *, source: str = "csv",
                   rejoin: bool = False, body: str | None = None, actor: str = "facilitator",
                   channel: str = "cli", expect: str | None = None) -> ImportReport:
    """Import members from a CSV file (bytes: the encoding is found; or text); a re-import
    updates people and seats rather than duplicating. A row for a member whose membership has
    ended is skipped with a warning, unless ``rejoin`` says those listed have rejoined. With
    ``body``, only that body's rows are applied (the others skipped with a warning). With
    ``expect`` (the fingerprint of a :func:`preview_import`), the import applies exactly what
    was previewed or, if the file or the membership has changed since, nothing (Refused).
    An import never ends a membership: members the file does not list stay members."""
    report = ImportReport()
    parsed = _read_file(app, data, source, body, report)
    now = app.clock.now()
    with app.store.write() as db:
        planned = _plan(db, parsed, report, rejoin=rejoin, channel=channel)
        if expect is not None and _fingerprint(data, body, planned, report) != expect:
            raise Refused("the membership or the file has changed since the preview; upload "
                          "the file again to see what it would change now")
        rejoined: list[str] = []
        for p in planned:
            _upsert_member(db, dict(p.values), now)
            setattr(report, p.outcome, getattr(report, p.outcome) + 1)
            if p.rejoins:
                rejoined.append(f"{p.body}:{p.email}")
        audit.record(db, at=now, actor=actor, action="members.import", subject="members",
                     channel=channel, evidence={"source": source},
                     detail={"created": report.created, "updated": report.updated,
                             "errors": len(report.errors), "delimiter": report.delimiter,
                             "encoding": report.encoding,
                             "ignored_columns": report.ignored_columns,
                             "kept_ended": report.kept_ended, "rejoined": rejoined,
                             **({"body": body} if body else {})})
    report.errors.sort()
    report.warnings.sort()
    return report


def _ended_on(db: Database, body: str, email: str) -> date | None:
    """The day this person's membership of a body ended, or None if it has not (or there is
    none). One made inactive without the day (before m009) ended the day it last changed."""
    row = fetch_one(db, "SELECT m.active, m.ended_on, m.updated_at FROM memberships m "
                        "JOIN people p ON p.id = m.person_id WHERE m.body = ? AND p.email = ?",
                    [body, email])
    if row is None or row["active"]:
        return None
    return date.fromisoformat(row["ended_on"] or row["updated_at"][:10])


def _substitute_conflict(db: Database, row: dict[str, Any],
                         claimed: Mapping[tuple[str, str], str]) -> str | None:
    """A named substitute may stand for one member only (per body): a member whose membership
    has ended no longer holds theirs. ``claimed``: the substitutes earlier rows of the same file
    name, by (body, member), which replace those members' substitutes."""
    if not row["substitute_email"]:
        return None
    holders = [member for (body, member), sub in claimed.items()
               if body == row["body"] and sub == row["substitute_email"]]
    sub = find_person(db, row["substitute_email"])
    if sub is not None:
        holders += [r["email"] for r in fetch_all(
            db, "SELECT p.email FROM named_substitutes n JOIN people p "
                "ON p.id = n.member_id JOIN memberships m ON m.body = n.body AND "
                "m.person_id = n.member_id AND m.active = 1 WHERE n.body = ? AND "
                "n.substitute_id = ?", [row["body"], sub.id])
            if (row["body"], r["email"]) not in claimed]
    other = next((h for h in holders if h != row["email"]), None)
    if other:
        return (f"{row['substitute_email']} is already the named substitute for {other}; "
                "a substitute may stand for one member only")
    return None


def _upsert_member(db: Database, row: dict[str, Any], now: datetime) -> str:
    person = ensure_person(db, row["email"], row["name"], now)
    renamed = person.name != row["name"]
    if renamed:
        person = rename_person(db, person, row["name"])
    seat = {k: row[k] for k in ("role", "office", "organisation", "sector", "carer", "voting",
                                "advisory")}
    existing = fetch_one(db, "SELECT * FROM memberships WHERE body = ? AND person_id = ?",
                         [row["body"], person.id])
    if existing is None:
        insert(db, "memberships", {"body": row["body"], "person_id": person.id, **seat,
                                   "active": 1, "updated_at": to_iso(now)})
        outcome = "created"
    elif any(existing[k] != v for k, v in seat.items()) or not existing["active"] or renamed:
        update(db, "memberships", existing["id"], {**seat, "active": 1, "ended_on": "",
                                                   "updated_at": to_iso(now)})
        outcome = "updated"
    else:
        outcome = "unchanged"
    if row["substitute_email"]:
        sub = ensure_person(db, row["substitute_email"], row["substitute_name"], now)
        execute(db, "DELETE FROM named_substitutes WHERE body = ? AND member_id = ? "
                    "AND substitute_id != ?", [row["body"], person.id, sub.id])
        execute(db, "INSERT OR IGNORE INTO named_substitutes (body, member_id, substitute_id) "
                    "VALUES (?, ?, ?)", [row["body"], person.id, sub.id])
    return outcome


@dataclass(frozen=True)
class EndResult:
    """What ``clerk members end`` did: whose membership of which body, the day it ended, whether
    it changed anything (``False``: it had already ended, on ``ended_on``), the office they
    held there (``""`` if none: the body no longer has them as its officer), and the coming
    meetings of the body they had already been invited to (their invitation is not withdrawn;
    they no longer count for quorum there)."""

    email: str
    name: str
    body: str
    body_name: str
    ended_on: date
    changed: bool = True
    office: str = ""
    invited_to: tuple[str, ...] = ()


def end_membership(app: Clerk, email: str, body: str, on: date | None = None, *,
                   actor: str = "facilitator", channel: str = "cli") -> EndResult:
    """End a person's membership of a body on ``on`` (today if not given; not a day to come).
    The membership stays in the records (inactive, with the day it ended, audited); from now on
    the person is not invited to the body's meetings, not counted for its quorum and not given
    its ballots. Ending it again changes nothing and says when it ended; an unknown body,
    address or membership is NotFound."""
    label = app.body(body).name
    now = app.clock.now()
    today = now.astimezone(app.tz).date()
    day = on or today
    with app.store.write() as db:
        person = find_person(db, email)
        if person is None:
            raise NotFound(f"no one in clerk has the address {normalise_email(email)}")
        row = fetch_one(db, "SELECT id, office FROM memberships "
                            "WHERE body = ? AND person_id = ?", [body, person.id])
        if row is None:
            raise NotFound(f"{person.email} is not a member of {label}, so there is no "
                           "membership to end")
        ended = _ended_on(db, body, person.email)
        verdict = may_end_membership(ended, day, today)
        if verdict.code == "already_ended":
            assert ended is not None
            return EndResult(person.email, person.name, body, label, ended, changed=False)
        if not verdict.ok:
            raise Refused(f"{person.name}'s membership of {label} cannot end on "
                          f"{day.isoformat()}: {verdict.reason}")
        update(db, "memberships", row["id"], {"active": 0, "ended_on": day.isoformat(),
                                              "updated_at": to_iso(now)})
        invited = fetch_all(db, "SELECT g.ref FROM invitations i JOIN meetings g ON "
                                "g.id = i.meeting_id WHERE i.person_id = ? AND g.body = ? AND "
                                "g.status != 'cancelled' AND g.starts_at > ? "
                                "ORDER BY g.starts_at", [person.id, body, to_iso(now)])
        audit.record(db, at=now, actor=actor, action="membership.end",
                     subject=person.email, channel=channel,
                     detail={"body": body, "ended_on": day.isoformat(), "office": row["office"],
                             "invited_to": [r["ref"] for r in invited]})
    return EndResult(person.email, person.name, body, label, day, office=row["office"],
                     invited_to=tuple(r["ref"] for r in invited))


_MEMBERSHIPS = """
SELECT p.id AS person_id, p.email, p.name, m.role, m.office, m.organisation, m.sector,
       m.carer, m.voting, m.advisory, p.undeliverable,
       COALESCE(NULLIF(m.ended_on, ''), substr(m.updated_at, 1, 10)) AS ended_on
FROM memberships m JOIN people p ON p.id = m.person_id
WHERE m.body = ? AND m.active = 0
ORDER BY p.name
"""


def list_members(app: Clerk, body: str | None = None, *,
                 ended: bool = False) -> list[dict[str, Any]]:
    """Active members, body by body, with their named substitute if any; with ``ended``, the
    memberships that have ended too (after each body's active members). ``ended_on`` is the day
    a membership ended, ``""`` while it lasts."""
    bodies = [body] if body else sorted(app.config.bodies)
    if body:
        app.body(body)
    out = []
    for slug in bodies:
        rows = fetch_all(app.store.db, SEAT_SQL, [slug])
        if ended:
            rows += fetch_all(app.store.db, _MEMBERSHIPS, [slug])
        for row in rows:
            subs = fetch_all(app.store.db, "SELECT p.name, p.email FROM named_substitutes n "
                             "JOIN people p ON p.id = n.substitute_id WHERE n.body = ? "
                             "AND n.member_id = ?", [slug, row["person_id"]])
            out.append({"body": slug, **{k: row[k] for k in row if k != "person_id"},
                        "carer": bool(row["carer"]), "voting": bool(row["voting"]),
                        "advisory": bool(row["advisory"]),
                        "undeliverable": row["undeliverable"] or "",
                        "substitute": subs[0]["email"] if subs else "",
                        "ended_on": row.get("ended_on") or ""})
    return out


def resume_mail(app: Clerk, email: str, *, actor: str = "cli",
                channel: str = "cli") -> str | None:
    """``clerk members resume-mail``: send mail to this address again after a bounce (the
    mailbox was fixed, or the bounce was wrong). Returns the bounce that had stopped it, or None
    if nothing had (and nothing changes); an unknown address is NotFound."""
    with app.store.write() as db:
        person = find_person(db, email)
        if person is None:
            raise NotFound(f"no one in clerk has the address {normalise_email(email)}")
        return mark_deliverable(db, person.email, now=app.clock.now(), actor=actor,
                                channel=channel,
                                why="the facilitator asked for mail to be sent again")


@dataclass(frozen=True)
class MemberUpdate:
    """A member's details as a facilitator edits them (one body's seat, and the person's name,
    which is theirs on every body). An empty ``substitute_email`` means no named substitute."""

    name: str
    role: str = "member"
    office: str = ""
    organisation: str = ""
    sector: str = ""
    carer: bool = False
    voting: bool = True
    advisory: bool = False
    substitute_name: str = ""
    substitute_email: str = ""


@dataclass(frozen=True)
class UpdateResult:
    """What :func:`update_member` changed (nothing, when ``changes`` is empty)."""

    email: str
    name: str
    body: str
    changes: tuple[FieldChange, ...]


def update_member(app: Clerk, body: str, person_id: int, new: MemberUpdate, *,
                  actor: str = "facilitator", channel: str = "cli") -> UpdateResult:
    """Change a member's seat on a body (role, office, organisation, sector, carer, voting,
    advisory, named substitute) and their name, read by the same rules as a row of a membership
    file. Only a membership that lasts may be edited (one that has ended comes back by an
    import); a substitute standing for another member is Refused. Audited
    (``membership.update``) with what changed; no change, no event."""
    label = app.body(body).name
    now = app.clock.now()
    with app.store.write() as db:
        found = fetch_one(db, "SELECT p.email, m.active, m.ended_on FROM memberships m JOIN "
                              "people p ON p.id = m.person_id WHERE m.body = ? AND "
                              "m.person_id = ?", [body, person_id])
        if found is None:
            raise NotFound(f"that person is not a member of {label}")
        if not found["active"]:
            raise Refused(f"this membership of {label} ended on {found['ended_on'] or '?'}; "
                          "it cannot be edited (a membership file that lists them, imported "
                          "as rejoining, makes them a member again)")
        cells = {"body": body, "email": found["email"], "name": new.name, "role": new.role,
                 "office": new.office, "organisation": new.organisation, "sector": new.sector,
                 "carer": "yes" if new.carer else "no", "voting": "yes" if new.voting else "no",
                 "advisory": "yes" if new.advisory else "no",
                 "substitute_name": new.substitute_name,
                 "substitute_email": new.substitute_email}
        try:
            row = _parse_row(cells, set(app.config.bodies))
        except RowError as exc:
            raise BadInput(str(exc)[0].upper() + str(exc)[1:], about=exc.column) from None
        problem = _substitute_conflict(db, row, {})
        if problem:
            raise Refused(problem, about="substitute_email")
        planned = _planned_row(db, 0, row, None, clear_substitute=True)
        if not planned.changes:
            return UpdateResult(row["email"], row["name"], body, ())
        _upsert_member(db, row, now)
        if not row["substitute_email"]:
            execute(db, "DELETE FROM named_substitutes WHERE body = ? AND member_id = ?",
                    [body, person_id])
        audit.record(db, at=now, actor=actor, action="membership.update", subject=row["email"],
                     channel=channel,
                     detail={"body": body, "changes": {c.field: [c.before, c.after]
                                                       for c in planned.changes}})
    return UpdateResult(row["email"], row["name"], body, planned.changes)
