"""Ratification by email vote (:mod:`.ratification`), and a ballot recomputed from the audit
log alone (:mod:`.verify`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.ballots.progress import VoterLine, voters
from clerk.ballots.ratification import (
    Ballot,
    cast_vote,
    close_ballot,
    current_tally,
    get_ballot,
    meeting_ballots,
    open_ballot,
    remind_voters,
)
from clerk.ballots.verify import verify_ballot

__all__ = [
    "Ballot",
    "VoterLine",
    "cast_vote",
    "close_ballot",
    "current_tally",
    "get_ballot",
    "meeting_ballots",
    "open_ballot",
    "remind_voters",
    "verify_ballot",
    "voters",
]
