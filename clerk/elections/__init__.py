"""Elections with secret ballots (:mod:`.service`): nominations, voting by email with receipts,
counting (clerk.rules.counting), the result and the office holders it names.

Its public operations and types are gathered here for the adapters (mail, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.elections.service import (
    BallotOutcome,
    Candidate,
    Election,
    add_election,
    cast_ballot,
    close_election,
    decide_tie,
    get_election,
    list_elections,
    nominate,
    open_voting,
    remind,
    rerun,
    stand,
    take_office,
)

__all__ = [
    "BallotOutcome",
    "Candidate",
    "Election",
    "add_election",
    "cast_ballot",
    "close_election",
    "decide_tie",
    "get_election",
    "list_elections",
    "nominate",
    "open_voting",
    "remind",
    "rerun",
    "stand",
    "take_office",
]
