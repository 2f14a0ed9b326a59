"""Meetings: scheduling one, finding one by its reference, and listing them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert
from clerk.times import from_iso, to_iso


@dataclass(frozen=True)
class AddMeeting:
    """Schedule a meeting of ``body`` at an aware instant, at a venue or online (or both)."""

    body: str
    starts_at: datetime
    venue: str = ""
    online_url: str = ""
    kind: str = "ordinary"


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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Meeting:
        return cls(id=row["id"], ref=row["ref"], body=row["body"],
                   starts_at=from_iso(row["starts_at"]), venue=row["venue"],
                   online_url=row["online_url"], kind=row["kind"], status=row["status"],
                   sequence=row["sequence"], uid=row["uid"])

    @property
    def where(self) -> str:
        if self.venue and self.online_url:
            return f"{self.venue}, or online: {self.online_url}"
        return self.venue or (f"online: {self.online_url}" if self.online_url else "venue to follow")


def add_meeting(app: Clerk, cmd: AddMeeting) -> Meeting:
    """Schedule a meeting; asking again for the same body and time returns the same meeting."""
    body = app.body(cmd.body)
    if cmd.online_url and not body.online_allowed:
        raise Refused(f"{body.name} does not meet online")
    if cmd.online_url and not cmd.online_url.startswith(("https://", "http://")):
        raise BadInput(f'the online link must start with https://, got "{cmd.online_url}"')
    now = app.clock.now()
    starts = to_iso(cmd.starts_at)
    with app.store.write() as db:
        same = fetch_one(db, "SELECT * FROM meetings WHERE body = ? AND starts_at = ? AND "
                             "status != 'cancelled'", [cmd.body, starts])
        if same:
            return Meeting.from_row(same)
        day = cmd.starts_at.astimezone(app.tz).date().isoformat()
        ref = f"{cmd.body}-{day}"
        n = 2
        while fetch_one(db, "SELECT 1 AS taken FROM meetings WHERE ref = ?", [ref]):
            ref = f"{cmd.body}-{day}-{n}"
            n += 1
        row = {"ref": ref, "body": cmd.body, "starts_at": starts, "venue": cmd.venue.strip(),
               "online_url": cmd.online_url.strip(), "kind": cmd.kind, "status": "scheduled",
               "sequence": 0, "uid": f"{uuid.uuid4()}@{app.config.mail.reply_domain}",
               "created_at": to_iso(now), "updated_at": to_iso(now)}
        mid = insert(db, "meetings", row)
        audit.record(db, at=now, actor="facilitator", action="meeting.add", subject=ref,
                     detail={"starts_at": starts, "venue": row["venue"],
                             "online_url": row["online_url"]})
        added = fetch_one(db, "SELECT * FROM meetings WHERE id = ?", [mid])
        assert added is not None  # inserted just above
        return Meeting.from_row(added)


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
