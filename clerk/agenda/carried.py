"""Business carried forward: decisions from earlier meetings of a body that are still unresolved
(awaiting ratification, not ratified, or carried forward while inquorate) go on the next agenda."""

from __future__ import annotations

from dataclasses import dataclass

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from clerk.store.rows import fetch_all
from clerk.times import to_iso

UNRESOLVED = ("provisional", "not_ratified", "carried_forward")


@dataclass(frozen=True)
class CarriedItem:
    decision_id: int
    from_meeting: str
    number: int
    text: str
    status: str
    reason: str

    @property
    def title(self) -> str:
        what = {"provisional": "awaiting ratification by email vote",
                "not_ratified": "not ratified by email vote",
                "carried_forward": "carried forward: the meeting was inquorate"}[self.status]
        return f"To consider: {self.text} ({what}, from {self.from_meeting})"


def carried_decisions(app: Clerk, meeting: Meeting) -> list[CarriedItem]:
    """Unresolved decisions of the body's earlier meetings, oldest first."""
    rows = fetch_all(
        app.store.db, "SELECT d.id, d.number, d.text, d.status, d.status_reason, m.ref FROM decisions d "
        "JOIN meetings m ON m.id = d.meeting_id WHERE m.body = ? AND m.starts_at < ? AND "
        f"d.status IN ({', '.join('?' for _ in UNRESOLVED)}) ORDER BY m.starts_at, d.number",
        [meeting.body, to_iso(meeting.starts_at), *UNRESOLVED])
    return [CarriedItem(r["id"], r["ref"], r["number"], r["text"], r["status"],
                        r["status_reason"]) for r in rows]
