"""Ratification by email vote: open a ballot on a meeting's provisional decisions, cast and change
votes until the deadline, close it once, announce the result, and verify it from the audit log."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from clerk.agenda.items import refresh_standing_items
from clerk.app import Clerk
from clerk.errors import BadInput, NotFound, Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import SEAT_SQL, find_person, normalise_email, seat_from_row
from clerk.rules.people import Seat
from clerk.rules.tally import Choice, Tally, may_open_ballot, may_vote, tally
from clerk.rules.workdays import shift
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert, update
from clerk.times import day_in_words, from_iso, in_words, to_iso
from clerk.tokens.reply_keys import issue_key

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


@dataclass(frozen=True)
class Ballot:
    id: int
    ref: str
    meeting: Meeting
    opened_at: datetime
    closes_at: datetime
    status: str
    decisions: tuple[tuple[int, str], ...]  # (number, text)
    electorate: tuple[Seat, ...]
    closed_at: datetime | None = None

    @property
    def closed_early(self) -> bool:
        """Closed by hand before its deadline."""
        return self.closed_at is not None and self.closed_at < self.closes_at


@dataclass(frozen=True)
class CastVote:
    """A voter's choices, decision number → approve / reject / abstain."""

    ballot: str
    email: str
    choices: dict[int, Choice]
    channel: str = "cli"
    received_at: datetime | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class VoteOutcome:
    """``recorded`` (first vote), ``changed``, ``duplicate`` or ``refused`` (with the reason)."""

    status: Literal["recorded", "changed", "duplicate", "refused"]
    ballot: str
    email: str
    message: str
    receipt: str = ""
    choices: dict[int, Choice] = field(default_factory=dict)


# --- reading --------------------------------------------------------------------------------

def get_ballot(app: Clerk, ref: str) -> Ballot:
    row = app.store.by_ref("ballots", ref)
    if row is None:
        raise NotFound(f'there is no ballot "{ref}" (ballots are named like carers-2027-01-14-vote)')
    return _ballot(app, row)


def _ballot(app: Clerk, row: dict[str, Any]) -> Ballot:
    db = app.store.db
    meeting_row = fetch_one(db, "SELECT * FROM meetings WHERE id = ?", [row["meeting_id"]])
    if meeting_row is None:
        raise NotFound(f'the meeting of ballot "{row["ref"]}" is no longer in the calendar')
    meeting = Meeting.from_row(meeting_row)
    decisions = tuple((r["number"], r["text"]) for r in fetch_all(
        db, "SELECT b.number, d.text FROM ballot_decisions b JOIN decisions d ON d.id = "
            "b.decision_id WHERE b.ballot_id = ? ORDER BY b.number", [row["id"]]))
    seats = tuple(Seat(**json.loads(r["seat"])) for r in fetch_all(
        db, "SELECT seat FROM electorate WHERE ballot_id = ? ORDER BY person_id", [row["id"]]))
    return Ballot(row["id"], row["ref"], meeting, from_iso(row["opened_at"]),
                  from_iso(row["closes_at"]), row["status"], decisions, seats,
                  from_iso(row["closed_at"]) if row["closed_at"] else None)


def meeting_ballots(app: Clerk, meeting_ref: str) -> list[Ballot]:
    """The ratification votes opened on a meeting's decisions, oldest first (reads only)."""
    meeting = get_meeting(app, meeting_ref)
    return [_ballot(app, row) for row in fetch_all(
        app.store.db, "SELECT * FROM ballots WHERE meeting_id = ? ORDER BY id", [meeting.id])]


def latest_votes(db: Database, ballot_id: int) -> dict[str, dict[int, Choice]]:
    """Each voter's latest vote (by time received; the later row wins a tie)."""
    out: dict[str, dict[int, Choice]] = {}
    for r in fetch_all(db, "SELECT p.email, v.choices FROM votes v JOIN people p ON p.id = "
                           "v.person_id WHERE v.ballot_id = ? ORDER BY v.received_at, v.id",
                       [ballot_id]):
        out[r["email"]] = {int(k): v for k, v in json.loads(r["choices"]).items()}
    return out


@dataclass(frozen=True)
class StandingVote:
    """The vote of one voter that counts now (their latest), with its receipt."""

    choices: dict[int, Choice]
    receipt: str
    received_at: datetime


def standing_vote(db: Database, ballot_id: int, email: str) -> StandingVote | None:
    row = fetch_one(
        db, "SELECT v.choices, v.receipt, v.received_at FROM votes v JOIN people p ON p.id = "
            "v.person_id WHERE v.ballot_id = ? AND p.email = ? ORDER BY v.received_at DESC, "
            "v.id DESC LIMIT 1", [ballot_id, normalise_email(email)])
    if row is None:
        return None
    return StandingVote({int(k): v for k, v in json.loads(row["choices"]).items()}, row["receipt"],
                        from_iso(row["received_at"]))


def current_tally(app: Clerk, ballot: Ballot) -> Tally:
    body = app.body(ballot.meeting.body)
    participation = body.decisions.participation or body.quorum
    return tally([n for n, _ in ballot.decisions], ballot.electorate,
                 latest_votes(app.store.db, ballot.id), rule=body.decisions.pass_rule,
                 participation=participation)


# --- opening --------------------------------------------------------------------------------

def open_ballot(app: Clerk, meeting_ref: str, *, channel: str = "cli",
                actor: str = "facilitator") -> Ballot:
    """Open one ballot on the meeting's provisional decisions; asking again returns the same one.
    ``actor``: who opened it, for the audit log (the console: the facilitator's address)."""
    meeting = get_meeting(app, meeting_ref)
    body = app.body(meeting.body)
    verdict = may_open_ballot(body.decisions.when_inquorate, body.label, 1, "")
    if verdict.code == "not_by_vote":
        raise Refused(verdict.reason)
    now = app.clock.now()
    with app.store.write() as db:
        existing = fetch_one(db, "SELECT * FROM ballots WHERE meeting_id = ? AND status = "
                                 "'open'", [meeting.id])
        if existing:
            return _ballot(app, existing)
        pending = fetch_all(
            db, "SELECT d.* FROM decisions d WHERE d.meeting_id = ? AND d.status = 'provisional' "
                "AND d.id NOT IN (SELECT decision_id FROM ballot_decisions) ORDER BY d.number",
            [meeting.id])
        verdict = may_open_ballot(body.decisions.when_inquorate, body.label, len(pending), "")
        if not verdict.ok:
            raise Refused(f"{meeting.ref}: {verdict.reason}")
        last_day = shift(now.astimezone(app.tz).date(), body.decisions.ballot_days,
                         body.decisions.ballot_unit)
        closes = datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=app.tz)
        ref = f"{meeting.ref}-vote"
        n = 2
        while fetch_one(db, "SELECT 1 AS taken FROM ballots WHERE ref = ?", [ref]):
            ref, n = f"{meeting.ref}-vote-{n}", n + 1
        bid = insert(db, "ballots", {"ref": ref, "meeting_id": meeting.id, "opened_at": to_iso(now),
                                    "closes_at": to_iso(closes), "status": "open"})
        for number, d in enumerate(pending, start=1):
            insert(db, "ballot_decisions", {"ballot_id": bid, "decision_id": d["id"],
                                            "number": number})
        voters = []
        for row in fetch_all(db, SEAT_SQL, [meeting.body]):
            seat = seat_from_row(row)
            if may_vote(body.decisions.electorate, seat):
                insert(db, "electorate", {"ballot_id": bid, "person_id": row["person_id"],
                                          "seat": json.dumps(seat.__dict__)})
                voters.append((row["person_id"], seat))
        if not voters:
            raise Refused(f"{body.label} has no members entitled to vote")
        audit.record(db, at=now, actor=actor, action="ballot.open", subject=ref,
                     channel=channel,
                     detail={"meeting": meeting.ref, "closes_at": to_iso(closes),
                             "decisions": [[i, d["text"]] for i, d in enumerate(pending, 1)],
                             "electorate": sorted(s.email for _, s in voters),
                             "seats": [{"person_id": pid, **s.__dict__} for pid, s in voters]})
        ballot = get_ballot(app, ref)
        for person_id, seat in voters:
            _send_ballot(app, db, ballot, person_id, seat, "ballot", now)
        return ballot


def _send_ballot(app: Clerk, db: Database, ballot: Ballot, person_id: int, seat: Seat,
                 template: str, now: datetime, dedupe: str = "") -> None:
    key = issue_key(db, person_id=person_id, purpose="vote", subject_ref=ballot.ref, now=now,
                    days=app.config.mail.reply_key_days)
    r = render_email(template, recipient_name=seat.name, ballot=ballot,
                     body=app.body(ballot.meeting.body),
                     meeting_when=in_words(ballot.meeting.starts_at, app.tz),
                     closes=in_words(ballot.closes_at - timedelta(minutes=1), app.tz))
    queue(db, app.config.mail, Outgoing(
        kind=template, to_addr=seat.email, to_name=seat.name, subject=r.subject, text=r.text,
        html=r.html, person_id=person_id, subject_ref=ballot.ref, reply_key=key, purpose="vote",
        dedupe_key=f"{template}:{ballot.ref}:{person_id}{dedupe}"), now)


# --- voting ---------------------------------------------------------------------------------

def _receipt() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def cast_vote(app: Clerk, cmd: CastVote) -> VoteOutcome:
    """Record a vote (the latest one received counts); refusals are recorded too, never raised."""
    ballot = get_ballot(app, cmd.ballot)
    email = normalise_email(cmd.email)
    now = app.clock.now()
    received = cmd.received_at or now
    numbers = {n for n, _ in ballot.decisions}
    if set(cmd.choices) != numbers:
        raise BadInput(f"a vote needs a choice for each of decisions "
                       f"{', '.join(str(n) for n in sorted(numbers))}")
    with app.store.write() as db:
        if cmd.idempotency_key:
            seen = fetch_one(db, "SELECT receipt, choices FROM votes WHERE idempotency_key = ?",
                             [cmd.idempotency_key])
            if seen or audit.seen(db, cmd.idempotency_key):
                return VoteOutcome("duplicate", ballot.ref, email, "this vote was already counted",
                                   seen["receipt"] if seen else "")
        refusal = _refusal(ballot, email, received, app.tz)
        evidence = {**cmd.evidence, "received_at": to_iso(received)}
        if refusal:
            audit.record(db, at=now, actor=email, action="vote.refused", subject=ballot.ref,
                         channel=cmd.channel, evidence=evidence, detail={"reason": refusal},
                         idempotency_key=cmd.idempotency_key)
            return VoteOutcome("refused", ballot.ref, email, refusal)
        person = find_person(db, email)
        assert person is not None
        earlier = fetch_one(db, "SELECT COUNT(*) AS n FROM votes WHERE ballot_id = ? AND "
                                "person_id = ?", [ballot.id, person.id])
        before = int(earlier["n"]) if earlier else 0
        receipt = _receipt()
        choices = {str(k): v for k, v in sorted(cmd.choices.items())}
        insert(db, "votes", {"ballot_id": ballot.id, "person_id": person.id,
                             "choices": json.dumps(choices), "received_at": to_iso(received),
                             "channel": cmd.channel, "evidence": json.dumps(evidence),
                             "receipt": receipt, "idempotency_key": cmd.idempotency_key,
                             "recorded_at": to_iso(now)})
        status: Literal["recorded", "changed"] = "changed" if before else "recorded"
        audit.record(db, at=now, actor=email, action="vote.cast", subject=ballot.ref,
                     channel=cmd.channel, evidence=evidence,
                     detail={"choices": choices, "receipt": receipt, "changed": bool(before)})
        seat = next(s for s in ballot.electorate if s.email == email)
        # the receipt carries the ballot's key, so a reply to it changes the vote
        key = issue_key(db, person_id=person.id, purpose="vote", subject_ref=ballot.ref,
                        now=now, days=app.config.mail.reply_key_days)
        r = render_email("ballot_receipt", recipient_name=seat.name, ballot=ballot,
                         choices=cmd.choices, receipt=receipt, changed=bool(before),
                         closes=in_words(ballot.closes_at - timedelta(minutes=1), app.tz))
        queue(db, app.config.mail, Outgoing(
            kind="ballot_receipt", to_addr=email, to_name=seat.name, subject=r.subject,
            text=r.text, html=r.html, person_id=person.id, subject_ref=ballot.ref,
            reply_key=key, purpose="vote", in_reply_to=cmd.evidence.get("message_id") or None,
            auto="auto-replied" if cmd.channel == "email" else "auto-generated",
            dedupe_key=f"receipt:{receipt}"), now)
        words = "vote changed" if before else "vote recorded"
        return VoteOutcome(status, ballot.ref, email, f"{words}; receipt {receipt}", receipt,
                           dict(cmd.choices))


def _refusal(ballot: Ballot, email: str, received: datetime, tz: ZoneInfo) -> str:
    if email not in {s.email for s in ballot.electorate}:
        return (f"{email} is not entitled to vote in this ballot: the electorate was fixed when it "
                f"opened ({len(ballot.electorate)} voting members)")
    if ballot.closed_early and ballot.closed_at is not None:
        return (f"the vote was closed early by the facilitator on "
                f"{in_words(ballot.closed_at, tz)}, before this vote was counted")
    if ballot.status != "open" or received >= ballot.closes_at:
        return "the vote closed at midnight at the end of " \
               f"{ballot.closes_at.date() - timedelta(days=1):%A %d %B %Y}; this vote arrived late " \
               "and was not counted"
    return ""


# --- closing --------------------------------------------------------------------------------

Closer = Literal["facilitator", "scheduler"]


@dataclass(frozen=True)
class Closing:
    """A ballot's close: the result, when, whether before its deadline (by hand), and whether it
    had already been closed before this call (nothing more is done or sent then)."""

    ballot: str
    result: Tally
    closed_at: datetime
    early: bool
    already_closed: bool = False


def close_ballot(app: Clerk, ref: str, *, by: Closer = "facilitator", actor: str = "",
                 channel: str = "") -> Closing:
    """Close once: tally, settle each decision, announce the result to every member of the body
    (voting or not) and the facilitator; closing again only says when it was closed. ``actor``
    and ``channel`` name who closed it and how for the audit log (the console: the facilitator's
    address and ``console``); by default ``by`` and the CLI's or the scheduler's channel."""
    ballot = get_ballot(app, ref)
    now = app.clock.now()
    with app.store.write() as db:
        row = fetch_one(db, "SELECT status, closed_at FROM ballots WHERE id = ?", [ballot.id])
        if row is not None and row["status"] == "closed":
            closed_at = from_iso(row["closed_at"])
            return Closing(ballot.ref, current_tally(app, ballot), closed_at,
                           closed_at < ballot.closes_at, already_closed=True)
        result = current_tally(app, ballot)
        early = now < ballot.closes_at
        numbers = {r["number"]: r["decision_id"] for r in fetch_all(
            db, "SELECT number, decision_id FROM ballot_decisions WHERE ballot_id = ?",
            [ballot.id])}
        for d in result.decisions:
            status = "ratified" if d.ratified else "not_ratified"
            reason = (f"ratified by email vote: {d.reason}" if d.ratified else
                      f"not ratified by email vote ({d.reason}): to the next meeting")
            update(db, "decisions", numbers[d.number], {"status": status, "status_reason": reason})
        summary = result_json(result)
        update(db, "ballots", ballot.id, {"status": "closed", "closed_at": to_iso(now),
                                          "result": json.dumps(summary)})
        audit.record(db, at=now, actor=actor or by, action="ballot.close", subject=ballot.ref,
                     channel=channel or ("cli" if by == "facilitator" else "scheduler"),
                     detail={**summary, "closed_by": by, "early": early})
        refresh_standing_items(app, db, ballot.meeting.body)  # settled: off the next agenda
        _announce(app, db, get_ballot(app, ballot.ref), result, now)
        return Closing(ballot.ref, result, now, early)


def _announce(app: Clerk, db: Database, ballot: Ballot, result: Tally, now: datetime) -> None:
    """The result to every member of the body and the facilitator; only the facilitator's copy
    names those who did not vote."""
    body = app.body(ballot.meeting.body)
    recipients = {s.email: s.name for s in ballot.electorate}
    recipients.update({r["email"]: r["name"] for r in fetch_all(db, SEAT_SQL,
                                                                [ballot.meeting.body])})
    names = {s.email: s.name for s in ballot.electorate}
    context = {"ballot": ballot, "result": result, "texts": dict(ballot.decisions),
               "body_name": body.name, "meeting_day": day_in_words(ballot.meeting.starts_at, app.tz),
               "electorate_size": len(ballot.electorate),
               "closed_on": in_words(ballot.closed_at or now, app.tz)}
    letters = [(email, name, False) for email, name in recipients.items()
               if email != body.facilitator]
    if body.facilitator:
        letters.append((body.facilitator, "Facilitator", True))
    for email, name, facilitator in letters:
        r = render_email("ballot_result", recipient_name=name, for_facilitator=facilitator,
                         not_voted=[names[e] for e in result.not_voted] if facilitator else [],
                         **context)
        queue(db, app.config.mail, Outgoing(
            kind="ballot_result", to_addr=email, to_name=name, subject=r.subject, text=r.text,
            html=r.html, subject_ref=ballot.ref, dedupe_key=f"result:{ballot.ref}:{email}"), now)


def result_json(result: Tally) -> dict[str, Any]:
    return {"participation": {"ok": result.participation.ok,
                              "reason": result.participation.reason},
            "decisions": [d.__dict__ for d in result.decisions],
            "voted": list(result.voted), "not_voted": list(result.not_voted)}


def remind_voters(app: Clerk, ref: str, job_key: str) -> int:
    """Remind everyone in the electorate who has not voted yet."""
    ballot = get_ballot(app, ref)
    now = app.clock.now()
    if ballot.status != "open" or now >= ballot.closes_at:
        return 0  # a reminder after the deadline (clerk was down) would only confuse
    with app.store.write() as db:
        voted = set(latest_votes(db, ballot.id))
        waiting = [s for s in ballot.electorate if s.email not in voted]
        for seat in waiting:
            person = find_person(db, seat.email)
            if person and not person.undeliverable:
                _send_ballot(app, db, ballot, person.id, seat, "ballot_reminder", now,
                             dedupe=f":{job_key}")
        return len(waiting)
