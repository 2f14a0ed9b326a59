"""Which deadlines depend on what people have answered by email, so the inbox is read to the end
before they run: a member who replied at 08:59 is not reminded at 09:00, a vote received before
the deadline is counted, a forecast counts the apologies already sent."""

from __future__ import annotations

#: Deadline kinds whose effect depends on replies (reminders are ``reminder-<n>``).
READS_REPLIES = frozenset({
    "quorum-forecast",  # counts who is coming
    "absences",  # apologies given before the meeting are not absences
    "ballot-reminder",  # reminds those who have not voted
    "ballot-close",  # counts the votes
    "booking-close", "observer-reminder", "offer-lapse",  # observers answer by email too
})


def needs_replies(kind: str) -> bool:
    """Whether a deadline of this kind must wait until the inbox has been read to the end."""
    return kind.startswith("reminder-") or kind in READS_REPLIES
