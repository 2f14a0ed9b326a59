"""Election replies by email: a nomination (purpose ``nomination``: the member named is nominated,
or seconded when someone else nominated them first), a candidate's answer (``candidacy``) and a
secret ballot (``election``).

A ballot's :class:`Decision` is marked ``secret``: the inbound record keeps neither the message's
bytes nor what it said (only that a ballot arrived from its sender), so the database does not
link the voter to the choice. A substitute cannot vote for a member in a secret ballot.
"""

from __future__ import annotations

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.elections.service import cast_ballot, get_election, nominate, stand
from clerk.errors import Refused
from clerk.mail_in.message import Decision, VerifiedReply
from clerk.mail_in.responses import queue_answer
from clerk.people.directory import SEAT_SQL
from clerk.reading.election import read_ballot, read_nominee, read_stands
from clerk.store.rows import fetch_all


def _own(reply: VerifiedReply) -> None:
    if reply.sender.email != reply.key.email:
        raise Refused("only the member this email was sent to may answer it in an election")


def _unclear(app: Clerk, db: Database, reply: VerifiedReply, code: str,
             purpose: str) -> Decision:
    election = get_election(app, reply.key.subject_ref, db)
    queued = queue_answer(app, db, template="election_unclear", to_addr=reply.sender.email,
                          in_reply_to=reply.mail.message_id,
                          dedupe_key=f"election-unclear:{reply.mail.message_key}",
                          context={"recipient_name": reply.sender.name, "election": election,
                                   "code": code, "purpose": purpose,
                                   "candidates": [c.name for c in election.standing]},
                          person_id=reply.sender.id, subject_ref=election.ref,
                          reply_key=reply.key.key, purpose=purpose)
    return Decision("unclear", f"an unclear {purpose} reply ({code})", "asked them again",
                    reason=code, queued=[queued] if queued else [], secret=purpose == "election")


def handle_nomination(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    _own(reply)
    election = get_election(app, reply.key.subject_ref, db)
    members = [(r["email"], r["name"]) for r in fetch_all(db, SEAT_SQL, [election.body])]
    nominee = read_nominee(reply.mail.fresh_text, members)
    if nominee is None:
        return _unclear(app, db, reply, "no_nominee", "nomination")
    candidate = nominate(app, election.ref, nominee, by=reply.sender.email, channel="email")
    what = "seconded" if candidate.seconded_by == reply.sender.email else "nominated"
    return Decision("processed", f"a nomination of {candidate.name} in {election.ref}",
                    f"{what} {candidate.name}")


def handle_candidacy(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    _own(reply)
    stands = read_stands(reply.mail.fresh_text)
    if stands is None:
        return _unclear(app, db, reply, "no_answer", "candidacy")
    stand(app, reply.key.subject_ref, reply.sender.email, stands, channel="email")
    return Decision("processed", f"a candidate's answer in {reply.key.subject_ref}",
                    "stands" if stands else "does not stand")


def handle_election_ballot(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    _own(reply)
    election = get_election(app, reply.key.subject_ref, db)
    reading = read_ballot(reply.mail.fresh_text, [c.name for c in election.standing],
                          ranked=election.ranked)
    if reading.unclear:
        return _unclear(app, db, reply, reading.code, "election")
    outcome = cast_ballot(app, election.ref, reply.sender.email, reading.choice,
                          received_at=reply.received_at)
    if outcome.status != "recorded":
        queued = queue_answer(app, db, template="election_refused", to_addr=reply.sender.email,
                              in_reply_to=reply.mail.message_id,
                              dedupe_key=f"election-refused:{reply.mail.message_key}",
                              context={"recipient_name": reply.sender.name, "election": election,
                                       "why": outcome.message},
                              person_id=reply.sender.id, subject_ref=election.ref,
                              purpose="election")
        return Decision("refused" if outcome.status == "refused" else "processed",
                        f"a ballot in {election.ref}", f"not counted: {outcome.message}",
                        reason=outcome.message, queued=[queued] if queued else [], secret=True)
    return Decision("processed", f"a ballot in {election.ref}", "counted; receipt sent",
                    secret=True)
