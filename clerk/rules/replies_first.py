"""Which deadlines depend on what people have answered by email, so the inbox is read to the end
before they run: a member who replied at 08:59 is not reminded at 09:00, a vote received before
the deadline is counted, a forecast counts the apologies already sent."""

from __future__ import annotations

from clerk.rules.deadlines import JobKind

#: Deadline kinds whose effect depends on replies.
READS_REPLIES = frozenset({
    JobKind.REMINDER,  # reminds those who have not replied
    JobKind.QUORUM_FORECAST,  # counts who is coming
    JobKind.ABSENCES,  # apologies given before the meeting are not absences
    JobKind.BALLOT_REMINDER,  # reminds those who have not voted
    JobKind.BALLOT_CLOSE,  # counts the votes
    JobKind.BOOKING_CLOSE, JobKind.OBSERVER_REMINDER, JobKind.OFFER_LAPSE,  # observers answer by
    # email too
})


def needs_replies(kind: JobKind) -> bool:
    """Whether a deadline of this kind must wait until the inbox has been read to the end."""
    return kind in READS_REPLIES
