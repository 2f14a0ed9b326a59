"""Meetings: scheduling one (never in the past; warned of a weekend or bank holiday), finding one by
its reference, listing them, and deleting one added by mistake before anything is done for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.rules.extraordinary import may_hold, meets_deadline
from clerk.rules.meetings import may_delete_meeting, refusal, start_problems, warnings
from clerk.rules.verdict import Verdict
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one, insert
from clerk.times import from_iso, in_words, to_iso


@dataclass(frozen=True)
class AddMeeting:
    """Schedule a meeting of ``body`` at an aware instant, at a venue or online (or both)."""

    body: str
    starts_at: datetime
    venue: str = ""
    online_url: str = ""
    kind: str = "ordinary"
    actor: str = "facilitator"  # who scheduled it, for the audit log (the console: their address)
    channel: str = "cli"
    #: An extraordinary meeting: why it is called, and the request it answers (its reference;
    #: left out, the body's one open request, if it has exactly one).
    reason: str = ""
    request: str = ""


@dataclass(frozen=True)
class Meeting:
    id: int
    ref: str
    body: str
    starts_at: datetime
    venue: str
    online_url: str
    kind: str
    status: str
    sequence: int
    uid: str
    reason: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Meeting:
        return cls(id=row["id"], ref=row["ref"], body=row["body"],
                   starts_at=from_iso(row["starts_at"]), venue=row["venue"],
                   online_url=row["online_url"], kind=row["kind"], status=row["status"],
                   sequence=row["sequence"], uid=row["uid"], reason=row.get("reason") or "")

    @property
    def where(self) -> str:
        if self.venue and self.online_url:
            return f"{self.venue}, or online: {self.online_url}"
        return self.venue or (f"online: {self.online_url}" if self.online_url else "venue to follow")


@dataclass(frozen=True)
class Scheduled:
    """What scheduling did: the meeting, whether it was added now (False when the same body
    and time was already scheduled), and ``warnings``: what the facilitator should know about
    the time, each a Verdict with a code (``weekend``, ``bank_holiday``) and a sentence."""

    meeting: Meeting
    added: bool
    warnings: tuple[Verdict, ...] = ()


def check_start(app: Clerk, starts_at: datetime) -> tuple[Verdict, ...]:
    """Refuse a start in the past (BadInput, saying when it is now); otherwise the warnings on
    it (a weekend, a bank holiday) for the facilitator."""
    if starts_at.tzinfo is None:
        raise BadInput("say which time zone the time is in", about="starts_at")
    now = app.clock.now()
    problems = start_problems(starts_at, now, app.tz)
    if refusal(problems) is not None:
        raise BadInput(f"the meeting would start on {in_words(starts_at, app.tz)}, which is in "
                       f"the past (it is now {in_words(now, app.tz)}): give a time still to come",
                       about="starts_at")
    return warnings(problems)


def schedule_meeting(app: Clerk, cmd: AddMeeting) -> Scheduled:
    """Schedule a meeting, refusing a start in the past; asking again for the same body and
    time returns the same meeting. A weekend or bank holiday does not stop it: it is a warning."""
    body = app.body(cmd.body)
    if cmd.online_url and not body.online_allowed:
        raise Refused(f"{body.name} does not meet online", about="online_url")
    if cmd.online_url and not cmd.online_url.startswith(("https://", "http://")):
        raise BadInput(f'the online link must start with https://, got "{cmd.online_url}"',
                       about="online_url")
    if cmd.kind == "extraordinary":
        held = may_hold(body.extraordinary, body.name)
        if not held:
            raise Refused(held.reason, about="kind")
    elif cmd.request:
        raise BadInput("only an extraordinary meeting answers a request (add --extraordinary)",
                       about="request")
    found = check_start(app, cmd.starts_at)
    now = app.clock.now()
    starts = to_iso(cmd.starts_at)
    with app.store.write() as db:
        same = fetch_one(db, "SELECT * FROM meetings WHERE body = ? AND starts_at = ? AND "
                             "status != 'cancelled'", [cmd.body, starts])
        if same:
            return Scheduled(Meeting.from_row(same), added=False, warnings=found)
        request = _request_answered(db, cmd) if cmd.kind == "extraordinary" else None
        reason = cmd.reason.strip() or (str(request["reason"]) if request else "")
        if request is not None and request["hold_by"]:
            late = meets_deadline(date.fromisoformat(request["hold_by"]),
                                  cmd.starts_at.astimezone(app.tz).date())
            if not late:
                found = (*found, late)
        day = cmd.starts_at.astimezone(app.tz).date().isoformat()
        ref = f"{cmd.body}-{day}"
        n = 2
        while fetch_one(db, "SELECT 1 AS taken FROM meetings WHERE ref = ?", [ref]):
            ref = f"{cmd.body}-{day}-{n}"
            n += 1
        row = {"ref": ref, "body": cmd.body, "starts_at": starts, "venue": cmd.venue.strip(),
               "online_url": cmd.online_url.strip(), "kind": cmd.kind, "status": "scheduled",
               "sequence": 0, "uid": f"{uuid.uuid4()}@{app.config.mail.reply_domain}",
               "created_at": to_iso(now), "updated_at": to_iso(now), "reason": reason}
        mid = insert(db, "meetings", row)
        detail: dict[str, Any] = {"starts_at": starts, "venue": row["venue"],
                                  "online_url": row["online_url"]}
        if cmd.kind == "extraordinary":
            detail.update(kind="extraordinary", reason=reason,
                          request=request["ref"] if request else "")
        if request is not None:
            execute(db, "UPDATE extraordinary_requests SET status = 'held', meeting_id = ?, "
                        "updated_at = ? WHERE id = ?", [mid, to_iso(now), request["id"]])
        if found:
            detail["warned"] = [v.code for v in found]
        audit.record(db, at=now, actor=cmd.actor, action="meeting.add", subject=ref,
                     channel=cmd.channel, detail=detail)
        added = fetch_one(db, "SELECT * FROM meetings WHERE id = ?", [mid])
        assert added is not None  # inserted just above
        return Scheduled(Meeting.from_row(added), added=True, warnings=found)


def _request_answered(db: Database, cmd: AddMeeting) -> dict[str, Any] | None:
    """The request an extraordinary meeting answers: the one named (it must be this body's and
    called: its terms met, no meeting set yet), else the body's only called request, if any."""
    if cmd.request:
        row = fetch_one(db, "SELECT * FROM extraordinary_requests WHERE ref = ? OR "
                            "CAST(id AS TEXT) = ?", [cmd.request, cmd.request])
        if row is None or row["body"] != cmd.body:
            raise NotFound(f'{cmd.body} has no request "{cmd.request}" (see clerk meetings '
                           "requests)", about="request")
        if row["status"] != "called":
            said = {"awaiting_support": "its supporter has not confirmed it yet",
                    "held": "a meeting is already set for it", "declined": "it was not "
                    "supported", "withdrawn": "it was withdrawn"}
            raise Refused(f"{row['ref']} cannot be answered: "
                          f"{said.get(row['status'], row['status'])}", about="request")
        return row
    rows = fetch_all(db, "SELECT * FROM extraordinary_requests WHERE body = ? AND status = "
                         "'called'", [cmd.body])
    return rows[0] if len(rows) == 1 else None


def add_meeting(app: Clerk, cmd: AddMeeting) -> Meeting:
    """Schedule a meeting (see :func:`schedule_meeting`), for a caller that needs only the meeting."""
    return schedule_meeting(app, cmd).meeting


def get_meeting(app: Clerk, ref: str) -> Meeting:
    """The meeting with this reference (``carers-2027-01-14``) or numeric id."""
    row = app.store.by_ref("meetings", ref)
    if row is None:
        hint = fetch_all(app.store.db, "SELECT ref FROM meetings WHERE ref LIKE ? ORDER BY "
                                       "starts_at LIMIT 5", [f"%{ref.split('-')[0]}%"])
        known = f" (did you mean {', '.join(r['ref'] for r in hint)}?)" if hint else \
            " (see clerk meetings list)"
        raise NotFound(f'there is no meeting "{ref}"{known}')
    return Meeting.from_row(row)


def list_meetings(app: Clerk, body: str | None = None, *, include_past: bool = True) -> list[Meeting]:
    sql = "SELECT * FROM meetings WHERE 1=1"
    params: list[Any] = []
    if body:
        app.body(body)
        sql += " AND body = ?"
        params.append(body)
    if not include_past:
        sql += " AND starts_at >= ?"
        params.append(to_iso(app.clock.now()))
    return [Meeting.from_row(r) for r in fetch_all(app.store.db, sql + " ORDER BY starts_at",
                                                   params)]


def previous_meeting(app: Clerk, meeting: Meeting) -> Meeting | None:
    row = fetch_one(app.store.db, "SELECT * FROM meetings WHERE body = ? AND starts_at < ? AND "
                                  "status != 'cancelled' ORDER BY starts_at DESC LIMIT 1",
                    [meeting.body, to_iso(meeting.starts_at)])
    return Meeting.from_row(row) if row else None


def meeting_by_id(app: Clerk, key: int | str) -> Meeting:
    """The meeting with this id or reference, for someone acting in chat (an observer, a
    member): NotFound, as from :func:`get_meeting`, but in their words, without the hints
    meant for the facilitator at the command line."""
    row = app.store.by_ref("meetings", key)
    if row is None:
        raise NotFound("that meeting is no longer in the calendar")
    return Meeting.from_row(row)


#: What stands in the way of deleting a meeting: each thing sent or recorded for it, in words
#: (as ``it has ...`` reads), and the SQL that counts it (parameters: the meeting's id, its ref).
#: Deleting removes only what clerk made for the meeting itself: its draft agenda's standing
#: items and the record of deadline jobs run for it (so a meeting added again runs them).
_TRACES: tuple[tuple[str, str], ...] = (
    ("invitations or replies", "SELECT COUNT(*) AS n FROM invitations WHERE meeting_id = :id"),
    ("emails queued or sent", "SELECT COUNT(*) AS n FROM outbox WHERE subject_ref = :ref"),
    ("chat messages queued or sent",
     "SELECT COUNT(*) AS n FROM chat_outbox WHERE subject_ref = :ref"),
    ("reply keys given out", "SELECT COUNT(*) AS n FROM reply_keys WHERE subject_ref = :ref"),
    ("attendance recorded", "SELECT COUNT(*) AS n FROM attendance WHERE meeting_id = :id"),
    ("decisions", "SELECT COUNT(*) AS n FROM decisions WHERE meeting_id = :id"),
    ("ballots", "SELECT COUNT(*) AS n FROM ballots WHERE meeting_id = :id"),
    ("agenda items added", "SELECT COUNT(*) AS n FROM agenda_items WHERE meeting_id = :id AND "
                           "kind = 'item'"),
    ("papers", "SELECT COUNT(*) AS n FROM papers WHERE meeting_id = :id"),
    ("an agenda sent to the Chair", "SELECT COUNT(*) AS n FROM agendas WHERE meeting_id = :id "
                                    "AND (sent_version IS NOT NULL OR approved_version IS NOT "
                                    "NULL)"),
    ("agenda drafts sent", "SELECT COUNT(*) AS n FROM agenda_drafts_sent WHERE meeting_id = :id"),
    ("agenda approvals or objections",
     "SELECT COUNT(*) AS n FROM agenda_approvals WHERE meeting_id = :id"),
    ("papers or minutes circulated",
     "SELECT COUNT(*) AS n FROM circulations WHERE meeting_id = :id"),
    ("declarations of interest", "SELECT COUNT(*) AS n FROM declarations WHERE meeting_id = :id"),
    ("minutes", "SELECT COUNT(*) AS n FROM minutes WHERE meeting_id = :id"),
    ("minutes of another meeting approved at it",
     "SELECT COUNT(*) AS n FROM minutes WHERE approved_at_meeting = :ref"),
    ("observers' bookings", "SELECT COUNT(*) AS n FROM bookings WHERE meeting_id = :id"),
    ("observers' questions", "SELECT COUNT(*) AS n FROM questions WHERE meeting_id = :id"),
    ("observers' sign-in codes", "SELECT COUNT(*) AS n FROM chat_codes WHERE meeting_id = :id"),
)


def _traces(db: Database, meeting: Meeting, *, first: bool = False) -> dict[str, int]:
    """How many of each thing in :data:`_TRACES` there are for the meeting (``first``: stop at
    the first kind there is)."""
    params = {"id": meeting.id, "ref": meeting.ref}
    traces = {}
    for what, sql in _TRACES:
        row = fetch_one(db, sql, params)
        traces[what] = int(row["n"]) if row else 0
        if first and traces[what]:
            break
    return traces


def may_delete(app: Clerk, ref: str) -> Verdict:
    """Whether the meeting could be deleted now (:func:`delete_meeting`), and why (the reason
    names the first thing that stands in the way): read only, for a page that offers deleting
    only when it would be done."""
    meeting = get_meeting(app, ref)
    return may_delete_meeting(meeting.ref, _traces(app.store.db, meeting, first=True))


def delete_meeting(app: Clerk, ref: str, *, actor: str = "facilitator",
                   channel: str = "cli") -> Meeting:
    """Delete a meeting added by mistake, so that its reference is free again: only while
    nothing has been sent or recorded for it (otherwise Refused, saying what there is and
    pointing to ``clerk meetings cancel``). Audited (``actor``, ``channel``: who did it, from
    where); returns the meeting as it was."""
    now = app.clock.now()
    with app.store.write() as db:
        meeting = get_meeting(app, ref)
        params = {"id": meeting.id, "ref": meeting.ref}
        verdict = may_delete_meeting(meeting.ref, _traces(db, meeting))
        if not verdict.ok:
            raise Refused(verdict.reason)
        jobs = execute(db, "DELETE FROM job_runs WHERE subject_ref = :ref", params)
        execute(db, "DELETE FROM agenda_items WHERE meeting_id = :id", params)
        execute(db, "DELETE FROM agendas WHERE meeting_id = :id", params)
        execute(db, "DELETE FROM meetings WHERE id = :id", params)
        audit.record(db, at=now, actor=actor, action="meeting.delete", subject=meeting.ref,
                     channel=channel, detail={"body": meeting.body, "starts_at": to_iso(meeting.starts_at),
                             "venue": meeting.venue, "online_url": meeting.online_url,
                             "status": meeting.status, "uid": meeting.uid,
                             "deadline_runs_forgotten": jobs})
    return meeting
