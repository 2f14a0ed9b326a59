"""The ``vote`` purpose: a voter's email answer to a ratification ballot.

The answer is read (:func:`clerk.reading.vote.read_vote`) and cast through
:func:`clerk.ballots.ratification.cast_vote`, which applies the ballot's rules (the frozen electorate,
the deadline by the time the server received the message, the latest vote counting) and sends the
receipt. An unclear answer counts for nothing: the voter is asked again, shown what was read and
told why, in words chosen by the reading's reason code
(:func:`clerk.mail_in.responses.why_vote_unclear`). A refused vote (late, not entitled) is
recorded by the ballot and answered with the reason.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.ballots.ratification import Ballot, CastVote, cast_vote, get_ballot, standing_vote
from clerk.mail_in.message import Decision, VerifiedReply
from clerk.mail_in.responses import queue_answer, why_vote_unclear
from clerk.mail_in.rsvp import quote
from clerk.reading.vote import read_vote
from clerk.rules.tally import Choice
from clerk.times import in_words


def handle_vote(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    """Cast the vote in the reply, or ask again, or answer why it was not counted."""
    ballot = get_ballot(app, reply.key.subject_ref)
    reading = read_vote(reply.mail.fresh_text, len(ballot.decisions))
    context = _context(app, ballot, reply.sender.name)
    if reading.unclear:
        queued = queue_answer(app, db, template="ballot_unclear", to_addr=reply.sender.email,
                              in_reply_to=reply.mail.message_id,
                              dedupe_key=f"vote-unclear:{reply.mail.message_key}",
                              context={**context, "quote": quote(reply.mail.fresh_text),
                                       "why": why_vote_unclear(reading),
                                       **_standing(app, db, ballot, reply.sender.email)},
                              person_id=reply.sender.id, subject_ref=ballot.ref,
                              reply_key=reply.key.key, purpose="vote")
        return Decision("unclear", f"unclear vote: {reading.reason}",
                        "not counted (unclear); asked them again", reason=reading.reason,
                        meeting=ballot.meeting.ref, queued=[queued] if queued else [])
    choices = cast(dict[int, Choice], dict(reading.choices))
    outcome = cast_vote(app, CastVote(ballot.ref, reply.sender.email, choices, channel="email",
                                      received_at=reply.received_at, evidence=reply.evidence,
                                      idempotency_key=reply.idempotency_key))
    said = ", ".join(f"{n} {c}" for n, c in sorted(choices.items()))
    if outcome.status == "refused":
        queued = queue_answer(app, db, template="ballot_refused", to_addr=reply.sender.email,
                              in_reply_to=reply.mail.message_id,
                              dedupe_key=f"vote-refused:{reply.mail.message_key}",
                              context={**context, "why": outcome.message},
                              person_id=reply.sender.id, subject_ref=ballot.ref,
                              purpose="vote")
        return Decision("refused", f"a vote ({said})", f"not counted: {outcome.message}",
                        reason=outcome.message, meeting=ballot.meeting.ref,
                        queued=[queued] if queued else [])
    if outcome.status == "duplicate":
        return Decision("processed", f"a vote ({said})", "already counted",
                        meeting=ballot.meeting.ref)
    return Decision("processed", f"a vote ({said})",
                    f"{outcome.message} in {ballot.ref}; receipt queued",
                    meeting=ballot.meeting.ref)


def _standing(app: Clerk, db: Database, ballot: Ballot, email: str) -> dict[str, object]:
    """What a reply that casts no vote is told of the vote already counted, and whether the ballot
    has closed: a question after voting is never told that nothing has been counted."""
    standing = standing_vote(db, ballot.id, email)
    return {"standing": standing, "closed": ballot.status == "closed",
            "standing_when": in_words(standing.received_at, app.tz) if standing else ""}


def _context(app: Clerk, ballot: Ballot, name: str) -> dict[str, object]:
    body = app.body(ballot.meeting.body)
    return {"recipient_name": name, "ballot": ballot, "body_label": body.label,
            "meeting_when": in_words(ballot.meeting.starts_at, app.tz),
            "closes": in_words(ballot.closes_at - timedelta(minutes=1), app.tz),
            "facilitator": body.facilitator}
