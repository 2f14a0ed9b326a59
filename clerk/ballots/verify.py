"""``clerk ratify verify``: a ballot recomputed from the hash-chained audit log alone.

When a ballot opens, its decisions, electorate (each voter's person id and seat) and deadline are
sealed into the log (the ``ballot.open`` event). Verifying recomputes the electorate, the deadline
and every voter's latest vote from the log, and fails, saying what differs, on any difference from
the tables, on a vote accepted after the sealed deadline (or after the ballot closed), and on an
announced result that is not the one the log gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clerk.app import Clerk
from clerk.ballots.ratification import Ballot, current_tally, get_ballot, latest_votes, result_json
from clerk.rules.people import Seat
from clerk.rules.tally import Choice, tally
from clerk.store import audit
from clerk.store.rows import fetch_all
from clerk.times import from_iso, in_words


@dataclass(frozen=True)
class Verification:
    ok: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Seal:
    """What the ``ballot.open`` event fixed: the decisions, the voters (email → seat), the deadline."""

    decisions: tuple[tuple[int, str], ...]
    seats: dict[str, Seat]
    closes_at: datetime


def _seal(detail: dict[str, Any], ballot: Ballot) -> Seal:
    if "seats" in detail:
        seats = {}
        for raw in detail["seats"]:
            fields = {k: v for k, v in raw.items() if k != "person_id"}
            seats[fields["email"]] = Seat(**fields)
    else:  # opened before seats were sealed: their attributes come from the table
        table = {s.email: s for s in ballot.electorate}
        seats = {e: table.get(e, Seat(e, e)) for e in detail["electorate"]}
    decisions = tuple((int(n), str(t)) for n, t in detail["decisions"])
    return Seal(decisions, seats, from_iso(detail["closes_at"]))


def _line(ok: bool, good: str, bad: str) -> str:
    return f"ok: {good}" if ok else f"FAILED: {bad}"


def _who(seats: dict[str, Seat], emails: set[str]) -> str:
    return ", ".join(f"{seats[e].name} <{e}>" if e in seats else e for e in sorted(emails))


def _as_sets(result: dict[str, Any]) -> dict[str, Any]:
    """A result with who voted and who did not in order (an erased voter's pseudonym stands
    where their address stood, so the lists need not be sorted as written)."""
    return {**result, **{k: sorted(result.get(k) or []) for k in ("voted", "not_voted")}}


def verify_ballot(app: Clerk, ref: str) -> Verification:
    """Recompute the ballot from the audit log alone and compare it with the tables."""
    ballot = get_ballot(app, ref)
    chain = audit.verify_chain(app.store.db)
    lines = [_line(chain.ok, chain.reason, chain.reason)]
    events = fetch_all(app.store.db, "SELECT * FROM audit WHERE subject = ? ORDER BY id",
                       [ballot.ref])
    opened = next((e for e in events if e["action"] == "ballot.open"), None)
    if opened is None:
        return Verification(False, (*lines, "FAILED: the log has no record of the ballot opening"))
    seal = _seal(json.loads(opened["detail"]), ballot)
    tz = app.tz
    deadline = in_words(seal.closes_at - timedelta(minutes=1), tz)

    table = {s.email: s for s in ballot.electorate}
    missing, added = set(seal.seats) - set(table), set(table) - set(seal.seats)
    changed = {e for e in set(seal.seats) & set(table) if seal.seats[e] != table[e]}
    lines.append(_line(
        not (missing or added or changed),
        f"the electorate ({len(seal.seats)} voters) is the one sealed at opening",
        "the electorate in the database differs from the one sealed at opening: "
        + "; ".join(part for part in (
            f"missing from it: {_who(seal.seats, missing)}" if missing else "",
            f"added to it: {_who(table, added)}" if added else "",
            f"seat changed: {_who(table, changed)}" if changed else "") if part)))
    lines.append(_line(
        ballot.closes_at == seal.closes_at,
        f"the deadline ({deadline}) is the one sealed at opening",
        f"the deadline in the database ({in_words(ballot.closes_at - timedelta(minutes=1), tz)}) "
        f"differs from the one sealed at opening ({deadline})"))
    lines.append(_line(ballot.decisions == seal.decisions,
                       f"the {len(seal.decisions)} decision(s) are the ones sealed at opening",
                       "the decisions in the database differ from the ones sealed at opening"))

    closed = next((e for e in events if e["action"] == "ballot.close"), None)
    closed_at = from_iso(closed["at"]) if closed else None
    votes: dict[str, tuple[str, dict[int, Choice]]] = {}
    bad_votes = []
    for e in events:
        if e["action"] != "vote.cast":
            continue
        received = json.loads(e["evidence"])["received_at"]
        who = e["actor"]
        if from_iso(received) >= seal.closes_at:
            bad_votes.append(f"a vote from {who} received {in_words(from_iso(received), tz)} was "
                             f"accepted after the sealed deadline ({deadline})")
            continue
        if closed_at is not None and from_iso(e["at"]) > closed_at:
            bad_votes.append(f"a vote from {who} was accepted after the ballot closed")
            continue
        if who not in seal.seats:
            bad_votes.append(f"a vote from {who}, who is not in the sealed electorate, was accepted")
            continue
        choices = {int(k): v for k, v in json.loads(e["detail"])["choices"].items()}
        if who not in votes or received >= votes[who][0]:
            votes[who] = (received, choices)
    lines.extend(f"FAILED: {b}" for b in bad_votes)
    if not bad_votes:
        lines.append("ok: every vote in the log was received before the sealed deadline, "
                     "from the sealed electorate")
    from_log = {k: v for k, (_, v) in votes.items()}
    stored = latest_votes(app.store.db, ballot.id)
    differ = {e for e in set(from_log) | set(stored) if from_log.get(e) != stored.get(e)}
    lines.append(_line(not differ, f"the {len(stored)} votes recorded are the ones in the log",
                       f"the votes recorded differ from the log for: {_who(table, differ)}"))

    body = app.body(ballot.meeting.body)
    recomputed = tally([n for n, _ in seal.decisions], list(seal.seats.values()), from_log,
                       rule=body.decisions.pass_rule,
                       participation=body.decisions.participation or body.quorum)
    same = result_json(recomputed) == result_json(current_tally(app, ballot))
    lines.append(_line(same, "the tally recomputed from the log matches the votes recorded",
                       "the tally recomputed from the log differs from the votes recorded"))
    if closed is not None:
        expected = result_json(recomputed)
        said = json.loads(closed["detail"])
        announced = _as_sets({k: said.get(k) for k in expected}) == _as_sets(expected)
        lines.append(_line(announced, "the announced result matches the log",
                           "the announced result differs from the log"))
    return Verification(not any(line.startswith("FAILED") for line in lines), tuple(lines))
