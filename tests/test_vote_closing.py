"""Closing a ballot: once (a second close says it was already closed), early by hand (said so, and
a late vote is told the real reason), and the result email: named by body and meeting date, in the
words of an email vote, to every member of the body, with the non-voters named only to the
facilitator. A question sent after voting is not told that nothing has been counted."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from clerk.app import Clerk
from clerk.ballots.ratification import Ballot, CastVote, cast_vote, close_ballot, open_ballot
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.people.membership import list_members
from mail.ingest import ingest
from scheduler.keeper import DeadlineKeeper
from tests.reply_mail import gmail_reply_to
from tests.test_ballots import inquorate  # noqa: F401  (the fixture)
from tests.test_vote_sealed import (
    meeting_with_two_decisions,
    on_disk,  # noqa: F401  (the fixture)
)

APPROVE_ALL = {1: "approve", 2: "approve"}
FACILITATOR = "facilitator@carers.example.org"


def mail(app: Clerk, kind: str, to: str) -> EmailMessage:
    row = app.store.one("SELECT raw FROM outbox WHERE kind = ? AND to_addr = ? ORDER BY id DESC",
                        [kind, to])
    assert row, f"no {kind} to {to}"
    return message_from_bytes(row["raw"], policy=policy.default)  # type: ignore[return-value]


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def carers_voting(app: Clerk, ballot: Ballot, n: int) -> list[str]:
    carers = [s.email for s in ballot.electorate if s.carer]
    for email in carers[:n]:
        assert cast_vote(app, CastVote(ballot.ref, email, APPROVE_ALL)).status == "recorded"
    return carers


def test_the_result_email_reads_as_an_email_vote_to_every_member(
    clerk_app: Clerk, inquorate: str, clock: FakeClock  # noqa: F811
) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    carers = carers_voting(clerk_app, ballot, 6)
    clock.set(datetime(2027, 1, 26, 9, 0, tzinfo=UTC))
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(clerk_app).run_due()}
    assert ran["ballot-close"].startswith("closed: 2 of 2")
    members = list_members(clerk_app, "carers")
    advisory = next(m for m in members if not m["voting"])
    sent = {r["to_addr"] for r in clerk_app.store.all("SELECT to_addr FROM outbox WHERE kind = "
                                                      "'ballot_result'")}
    assert sent == {m["email"] for m in members} | {FACILITATOR}
    assert advisory["email"] in sent  # non-voting members hear the result too
    to_member = mail(clerk_app, "ballot_result", carers[0])
    subject, text = str(to_member["Subject"]), text_of(to_member)
    for words in (subject, text):
        assert "Carers Partnership" in words
        assert "14 January 2027" in words
        assert inquorate not in words  # not the internal reference
    assert "6 of the 19 members entitled to vote voted" in text
    assert "present" not in text
    assert "closed early" not in text
    not_voted = [s.name for s in ballot.electorate if s.email not in carers[:6]]
    assert not any(name in text for name in not_voted)  # members do not see who did not vote
    to_facilitator = text_of(mail(clerk_app, "ballot_result", FACILITATOR))
    assert all(name in to_facilitator for name in not_voted)


def test_closed_early_by_hand_says_so_and_a_late_vote_is_told_why(
    clerk_app: Clerk, inquorate: str, clock: FakeClock  # noqa: F811
) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    carers = carers_voting(clerk_app, ballot, 3)
    clock.set(datetime(2027, 1, 20, 15, 0, tzinfo=UTC))
    first = close_ballot(clerk_app, ballot.ref)
    assert first.early and not first.already_closed
    text = text_of(mail(clerk_app, "ballot_result", carers[0]))
    assert "closed early by the facilitator on Wednesday 20 January 2027" in text
    clock.set(datetime(2027, 1, 21, 9, 0, tzinfo=UTC))  # before the deadline, after the close
    late = cast_vote(clerk_app, CastVote(ballot.ref, carers[4], APPROVE_ALL))
    assert late.status == "refused"
    assert "closed early by the facilitator on Wednesday 20 January 2027" in late.message
    assert "midnight" not in late.message
    again = close_ballot(clerk_app, ballot.ref)
    assert again.already_closed and again.early
    assert again.result == first.result
    assert len(clerk_app.store.all("SELECT 1 FROM outbox WHERE kind = 'ballot_result'")) == 21


def test_a_vote_after_the_deadline_is_told_the_deadline_passed(
    clerk_app: Clerk, inquorate: str, clock: FakeClock  # noqa: F811
) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    carers = carers_voting(clerk_app, ballot, 3)
    clock.set(datetime(2027, 1, 26, 9, 0, tzinfo=UTC))
    closing = close_ballot(clerk_app, ballot.ref, by="scheduler")
    assert not closing.early
    late = cast_vote(clerk_app, CastVote(ballot.ref, carers[4], APPROVE_ALL))
    assert "closed at midnight at the end of Monday 25 January 2027" in late.message
    assert "early" not in late.message


def test_ratify_close_twice_says_it_was_already_closed(
    on_disk: tuple[Clerk, FakeClock], capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    app, clock = on_disk
    ballot = open_ballot(app, meeting_with_two_decisions(app, clock))
    assert main(["ratify", "close", ballot.ref]) == 0  # the real clock: long before 2027
    out = capsys.readouterr().out
    assert "closed early" in out
    assert main(["ratify", "close", ballot.ref]) == 0
    out = capsys.readouterr().out
    assert f"{ballot.ref} was already closed" in out


def test_a_question_after_voting_is_not_told_nothing_was_counted(
    clerk_app: Clerk, inquorate: str  # noqa: F811
) -> None:
    ballot = open_ballot(clerk_app, inquorate)
    voter = next(s for s in ballot.electorate if s.carer)
    raw = gmail_reply_to(mail(clerk_app, "ballot", voter.email), voter.email, voter.name,
                         "Approve both")
    assert ingest(clerk_app, raw, source="file").status == "processed"
    raw = gmail_reply_to(mail(clerk_app, "ballot_receipt", voter.email), voter.email, voter.name,
                         "Thanks. What happens next?")
    assert ingest(clerk_app, raw, source="file").status == "unclear"
    answer = text_of(mail(clerk_app, "ballot_unclear", voter.email))
    assert "Nothing has been counted" not in answer
    assert "Your vote" in answer and "still counts" in answer
    assert "1. Adopt the 2027 carers action plan" in answer


def test_ratify_show_says_a_ballot_was_closed_early(
    on_disk: tuple[Clerk, FakeClock], capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    app, clock = on_disk
    ballot = open_ballot(app, meeting_with_two_decisions(app, clock))
    clock.set(datetime(2027, 1, 20, 15, 0, tzinfo=UTC))
    close_ballot(app, ballot.ref)
    assert main(["ratify", "show", ballot.ref]) == 0
    out = capsys.readouterr().out
    assert "closed early by the facilitator on Wednesday 20 January 2027 at 15:00" in out


def test_a_chat_vote_after_an_early_close_is_told_it_closed_early(
    clerk_app: Clerk, inquorate: str, clock: FakeClock  # noqa: F811
) -> None:
    from clerk.chat.members import ChatVote, vote_in_chat
    from clerk.errors import Refused
    from tests.app_fixtures import link_members

    link_members(clerk_app, 1, 7001)
    ballot = open_ballot(clerk_app, inquorate)
    clock.set(datetime(2027, 1, 20, 15, 0, tzinfo=UTC))
    close_ballot(clerk_app, ballot.ref)
    with pytest.raises(Refused, match="closed early by the facilitator on Wednesday 20 January"):
        vote_in_chat(clerk_app, ChatVote(7001, ballot.ref, "aa", 1))
