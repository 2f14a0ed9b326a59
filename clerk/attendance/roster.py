"""Who is invited to a meeting: the :class:`Invitation` row (a member's, or a substitute's standing
in for a member), and finding or creating one. Sending invitations is
:mod:`clerk.attendance.invitations`; recording an answer is :mod:`clerk.attendance.replies`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.people.directory import normalise_email
from clerk.store.rows import execute, fetch_one
from clerk.times import from_iso, to_iso


@dataclass(frozen=True)
class Invitation:
    """One person's invitation to one meeting. ``stands_for`` is the member a substitute stands
    in for (None for a member's own); ``substitute_id`` the substitute a member named;
    ``reply`` is ``no_reply``, ``attend``, ``apologies``, ``substitute`` or ``withdrawn`` (a
    substitute no longer expected)."""

    id: int
    meeting_id: int
    person_id: int
    stands_for: int | None
    reply: str
    substitute_id: int | None
    replied_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Invitation:
        return cls(id=int(row["id"]), meeting_id=int(row["meeting_id"]),
                   person_id=int(row["person_id"]), stands_for=row["stands_for"],
                   reply=str(row["reply"]), substitute_id=row["substitute_id"],
                   replied_at=from_iso(row["replied_at"]) if row["replied_at"] else None)

    @property
    def is_substitute(self) -> bool:
        return self.stands_for is not None


def invitation_for(db: Database, meeting_id: int, email: str) -> Invitation | None:
    """The invitation of the person with this address to this meeting, or None."""
    row = fetch_one(db, "SELECT i.* FROM invitations i JOIN people p ON p.id = i.person_id "
                        "WHERE i.meeting_id = ? AND p.email = ?",
                    [meeting_id, normalise_email(email)])
    return Invitation.from_row(row) if row else None


def ensure_invitation(db: Database, meeting_id: int, person_id: int, now: datetime,
                      stands_for: int | None = None) -> Invitation:
    """The invitation of this person to this meeting, created if missing (an existing one is
    returned as it is)."""
    execute(db, "INSERT OR IGNORE INTO invitations (meeting_id, person_id, stands_for, "
                "created_at) VALUES (?, ?, ?, ?)", [meeting_id, person_id, stands_for, to_iso(now)])
    row = fetch_one(db, "SELECT * FROM invitations WHERE meeting_id = ? AND person_id = ?",
                    [meeting_id, person_id])
    assert row is not None  # inserted just above if it was not there
    return Invitation.from_row(row)
