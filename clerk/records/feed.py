"""A body's calendar as a public subscription feed (``BODY/calendar.ics`` on the published site):
every meeting with the UID its invitations carry and its SEQUENCE (moved ones), cancelled ones
marked CANCELLED, each stamped with when it last changed so that publishing again writes the same
file until something changes. Only what the site shows: the venue (or "Online"), never the joining
link, the organiser or anyone invited."""

from __future__ import annotations

from typing import Any

from clerk.app import Clerk
from clerk.calendar import FeedEvent, build_feed
from clerk.store.rows import fetch_all
from clerk.times import from_iso

FEED_NAME = "calendar.ics"


def _location(venue: str, online: bool) -> str:
    if venue and online:
        return f"{venue}, and online"
    return venue or ("Online" if online else "")


def _why(row: dict[str, Any]) -> str:
    """What the site says of an extraordinary meeting: that it is one, and why it is called."""
    reason = str(row.get("reason") or "").strip()
    return f"An extraordinary meeting, called to consider: {reason}." if reason else \
        "An extraordinary meeting."


def body_feed(app: Clerk, slug: str) -> bytes:
    """The ``.ics`` feed of every meeting of the body ``slug``, earliest first."""
    body = app.body(slug)
    rows = fetch_all(app.store.db, "SELECT * FROM meetings WHERE body = ? ORDER BY starts_at, id",
                     [slug])
    events = []
    for row in rows:
        extraordinary = row["kind"] == "extraordinary"
        events.append(FeedEvent(
            uid=row["uid"], sequence=int(row["sequence"]), starts_at=from_iso(row["starts_at"]),
            summary=f"{body.name}{': extraordinary meeting' if extraordinary else ''}",
            stamp=from_iso(row["updated_at"] or row["created_at"]),
            cancelled=row["status"] == "cancelled",
            location=_location(row["venue"], bool(row["online_url"])),
            description=_why(row) if extraordinary else ""))
    return build_feed(body.name, events, description=f"Meetings of the {body.name}")
