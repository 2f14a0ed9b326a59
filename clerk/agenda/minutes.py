"""Minutes: the draft recorded and circulated, then approved (at the next meeting, where the body
says so) with the SHA-256 of the file approved, so any later change shows.

- ``add_minutes(app, AddMinutes(meeting, FileUpload(...)))`` records a draft (a new version when
  the file differs; the same file again changes nothing) and circulates it to the distribution
  list at once; ``meetings.minutes_circulated_at`` is set, so the minutes deadline is met, or
  chased by the scheduler if nothing comes. Its ``ACTION:`` lines become action points
  (:func:`clerk.actions.log.read_from_minutes`).
- ``approve_minutes(app, ApproveMinutes(meeting))`` records the approval of the latest version.
- ``minutes_state(app, meeting_ref)`` says which version was approved and whether the file
  kept now still has the approved hash.
- ``next_meeting(app, meeting)``: the meeting their approval waits for.
- ``minutes_version_file(app, meeting_ref, version) -> (MinutesVersion, bytes)`` reads one
  version's file (reads only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlite_utils import Database

from clerk.actions.log import read_from_minutes
from clerk.agenda.circulation import circulate_minutes_in, minutes_file
from clerk.app import Clerk
from clerk.errors import NotFound, Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.rules.meetings import meeting_still_open
from clerk.rules.papers import minutes_timing
from clerk.store import audit
from clerk.store.files import FileUpload, clean_filename, content_type, read_file, sha256_of, store_file
from clerk.store.rows import execute, fetch_all, fetch_one, insert
from clerk.times import in_words, to_iso


@dataclass(frozen=True)
class AddMinutes:
    meeting: str
    file: FileUpload
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class ApproveMinutes:
    """Approve the latest draft of ``meeting``'s minutes (at the next meeting, where the body
    approves them there)."""

    meeting: str
    channel: str = "cli"
    actor: str = "facilitator"


@dataclass(frozen=True)
class MinutesResult:
    status: Literal["recorded", "same", "approved", "already"]
    meeting: str
    version: int
    sha256: str
    message: str
    late: bool = False


@dataclass(frozen=True)
class MinutesVersion:
    """A version of a meeting's minutes: the file recorded, and its approval if it has one."""

    id: int
    version: int
    filename: str
    content_type: str
    sha256: str
    added_at: str
    approved_at: str | None
    approved_at_meeting: str
    approved_sha256: str
    circulation_id: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MinutesVersion:
        return cls(row["id"], row["version"], row["filename"], row["content_type"], row["sha256"],
                   row["added_at"], row["approved_at"] or None, row["approved_at_meeting"] or "",
                   row["approved_sha256"] or "", row["circulation_id"])


def _latest(db: Database, meeting_id: int) -> MinutesVersion | None:
    row = fetch_one(db, "SELECT * FROM minutes WHERE meeting_id = ? ORDER BY version DESC "
                        "LIMIT 1", [meeting_id])
    return MinutesVersion.from_row(row) if row else None


def add_minutes(app: Clerk, cmd: AddMinutes) -> MinutesResult:
    """Record the draft minutes and circulate them to the distribution list."""
    meeting = get_meeting(app, cmd.meeting)
    now = app.clock.now()
    held = meeting_still_open(meeting, now)
    if held.code == "cancelled":
        raise Refused(f"the meeting {meeting.ref} was cancelled: it has no minutes")
    if held.code == "open":
        raise Refused(f"the meeting {meeting.ref} has not taken place yet "
                      f"({in_words(meeting.starts_at, app.tz)})")
    filename = clean_filename(cmd.file.filename)
    body = app.body(meeting.body)
    with app.store.write() as db:
        latest = _latest(db, meeting.id)
        digest = sha256_of(cmd.file.content)
        if latest is not None and latest.sha256 == digest:
            return MinutesResult("same", meeting.ref, latest.version, digest,
                                 f"version {latest.version} of the minutes is this file "
                                 "already; nothing sent")
        store_file(db, cmd.file, now)
        version = (latest.version + 1) if latest else 1
        main, sub = content_type(filename)
        minutes_id = insert(db, "minutes", {
            "meeting_id": meeting.id, "version": version, "filename": filename,
            "content_type": f"{main}/{sub}", "sha256": digest, "added_at": to_iso(now)})
        after_approval = bool(latest and latest.approved_at)
        audit.record(db, at=now, actor=cmd.actor, action="minutes.add", subject=meeting.ref,
                     channel=cmd.channel,
                     detail={"version": version, "file": filename, "sha256": digest,
                             "after_approval": after_approval})
        timing = minutes_timing(body, meeting.starts_at.astimezone(app.tz).date(),
                                now.astimezone(app.tz).date())
        file = minutes_file(db, minutes_id, version, filename, digest, f"{main}/{sub}")
        result = circulate_minutes_in(app, db, meeting, version, file, timing,
                                      actor=cmd.actor, channel=cmd.channel)
        execute(db, "UPDATE minutes SET circulation_id = ? WHERE id = ?",
                [result.circulation_id, minutes_id])
        execute(db, "UPDATE meetings SET minutes_circulated_at = ? WHERE id = ? AND "
                    "minutes_circulated_at IS NULL", [to_iso(now), meeting.id])
        note = " (the approved version is kept; this edit is not approved)" if after_approval \
            else ""
        actions = read_from_minutes(app, db, meeting, filename, cmd.file.content,
                                    actor=cmd.actor, channel=cmd.channel)
        read = f"; {actions.message}" if actions.added else ""
        return MinutesResult("recorded", meeting.ref, version, digest,
                             f"minutes version {version} recorded{note}; {result.message}{read}",
                             late=timing.late)


def _next_meeting(db: Database, meeting: Meeting) -> Meeting | None:
    row = fetch_one(db, "SELECT * FROM meetings WHERE body = ? AND starts_at > ? AND status != "
                        "'cancelled' ORDER BY starts_at LIMIT 1",
                    [meeting.body, to_iso(meeting.starts_at)])
    return Meeting.from_row(row) if row else None


def next_meeting(app: Clerk, meeting: Meeting) -> Meeting | None:
    """The body's next meeting after ``meeting`` (not cancelled), where its minutes are approved
    when the body approves them at its next meeting (reads only)."""
    return _next_meeting(app.store.db, meeting)


def approve_minutes(app: Clerk, cmd: ApproveMinutes) -> MinutesResult:
    """Record that the latest draft was approved, with its SHA-256. Where the body approves
    minutes at its next meeting, that meeting must have begun."""
    meeting = get_meeting(app, cmd.meeting)
    body = app.body(meeting.body)
    now = app.clock.now()
    with app.store.write() as db:
        latest = _latest(db, meeting.id)
        if latest is None:
            raise NotFound(f"no minutes of {meeting.ref} are recorded (clerk minutes add "
                           f"{meeting.ref} FILE)")
        if latest.approved_at:
            return MinutesResult("already", meeting.ref, latest.version,
                                 latest.approved_sha256, f"version {latest.version} was "
                                 f"approved already ({latest.approved_at_meeting or 'recorded'})")
        at_meeting = ""
        if body.minutes.approved_at_next_meeting:
            nxt = _next_meeting(db, meeting)
            if nxt is None:
                raise Refused(f"{body.label} approves minutes at its next meeting, and none is "
                              "scheduled after this one")
            if meeting_still_open(nxt, now).code == "open":
                raise Refused(f"{body.label} approves minutes at its next meeting, "
                              f"{nxt.ref} ({in_words(nxt.starts_at, app.tz)}); "
                              "record the approval there")
            at_meeting = nxt.ref
        digest = sha256_of(read_file(db, latest.sha256))
        if digest != latest.sha256:
            raise Refused(f"the stored file of version {latest.version} no longer matches the "
                          "hash recorded when it was added; it cannot be approved")
        execute(db, "UPDATE minutes SET approved_at = ?, approved_at_meeting = ?, "
                    "approved_sha256 = ? WHERE id = ?", [to_iso(now), at_meeting, digest, latest.id])
        audit.record(db, at=now, actor=cmd.actor, action="minutes.approve",
                     subject=meeting.ref, channel=cmd.channel,
                     detail={"version": latest.version, "sha256": digest,
                             "file": latest.filename, "at_meeting": at_meeting})
        where = f" at {at_meeting}" if at_meeting else ""
        return MinutesResult("approved", meeting.ref, latest.version, digest,
                             f"minutes version {latest.version} approved{where}; "
                             f"SHA-256 {digest}")


@dataclass(frozen=True)
class MinutesState:
    """Every version of a meeting's minutes, which one was approved (None: none yet), whether a
    later version came after the approval, and whether the approved file still has its hash."""

    versions: tuple[MinutesVersion, ...]
    approved_version: int | None = None
    approved_sha256: str = ""
    edited_after_approval: bool = False
    approved_file_intact: bool | None = None

    def as_json(self) -> dict[str, Any]:
        """As ``clerk minutes show --json`` and the meeting's record print it."""
        return {"versions": [{"version": v.version, "filename": v.filename, "sha256": v.sha256,
                              "added_at": v.added_at, "approved_at": v.approved_at,
                              "approved_at_meeting": v.approved_at_meeting,
                              "approved_sha256": v.approved_sha256} for v in self.versions],
                "approved_version": self.approved_version,
                "approved_sha256": self.approved_sha256,
                "edited_after_approval": self.edited_after_approval,
                "approved_file_intact": self.approved_file_intact}


def minutes_state(app: Clerk, meeting_ref: str) -> MinutesState:
    """Every version, which one was approved, and whether the approved file is unchanged."""
    meeting = get_meeting(app, meeting_ref)
    versions = tuple(MinutesVersion.from_row(r) for r in fetch_all(
        app.store.db, "SELECT * FROM minutes WHERE meeting_id = ? ORDER BY version",
        [meeting.id]))
    approved = next((v for v in reversed(versions) if v.approved_at), None)
    if approved is None:
        return MinutesState(versions)
    stored = sha256_of(read_file(app.store.db, approved.sha256))
    return MinutesState(versions, approved.version, approved.approved_sha256,
                        edited_after_approval=versions[-1].version > approved.version,
                        approved_file_intact=stored == approved.approved_sha256)


def approved_minutes_file(db: Database, meeting_id: int) -> tuple[MinutesVersion, bytes] | None:
    """The approved minutes (the version and its bytes) if their file still has the approved
    hash."""
    row = fetch_one(db, "SELECT * FROM minutes WHERE meeting_id = ? AND approved_at IS NOT NULL "
                        "ORDER BY version DESC LIMIT 1", [meeting_id])
    if row is None:
        return None
    record = MinutesVersion.from_row(row)
    content = read_file(db, record.sha256)
    if sha256_of(content) != record.approved_sha256:
        return None
    return record, content



def minutes_version_file(app: Clerk, meeting_ref: str,
                         version: int) -> tuple[MinutesVersion, bytes]:
    """Version ``version`` of the meeting's minutes and its file (NotFound if there is none)."""
    meeting = get_meeting(app, meeting_ref)
    row = fetch_one(app.store.db, "SELECT * FROM minutes WHERE meeting_id = ? AND version = ?",
                    [meeting.id, version])
    if row is None:
        raise NotFound(f"{meeting.ref} has no version {version} of its minutes")
    record = MinutesVersion.from_row(row)
    return record, read_file(app.store.db, record.sha256)
