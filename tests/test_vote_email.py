"""Votes by email reply, through the same ingest path as IMAP: what each voter's reply does."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from clerk.app import Clerk
from clerk.ballots.ratification import current_tally, get_ballot, open_ballot
from clerk.clock import FakeClock
from clerk.people.membership import list_members
from mail.ingest import ingest
from tests.reply_mail import gmail_reply_to, out_of_office, reply
from tests.test_ballots import inquorate  # noqa: F401  (the fixture)


def ballot_email(app: Clerk, email: str, kind: str = "ballot") -> EmailMessage:
    row = app.store.one("SELECT raw FROM outbox WHERE kind = ? AND to_addr = ? ORDER BY id DESC",
                        [kind, email])
    assert row, f"no {kind} email to {email}"
    return message_from_bytes(row["raw"], policy=policy.default)  # type: ignore[return-value]


def key_of(msg: EmailMessage) -> str:
    match = re.search(r"clerk\+([0-9a-f]{32})@", str(msg["Reply-To"]))
    assert match
    return match.group(1)


def answer(app: Clerk, email: str, body: str, received_at: datetime | None = None) -> str:
    msg = ballot_email(app, email)
    raw = reply(email, key_of(msg), body, in_reply_to=str(msg["Message-ID"]))
    return ingest(app, raw, source="file", received_at=received_at).status


@pytest.fixture
def voters(clerk_app: Clerk, inquorate: str) -> dict[str, list[str]]:  # noqa: F811
    open_ballot(clerk_app, inquorate)
    ms = list_members(clerk_app, "carers")
    return {"carers": [m["email"] for m in ms if m["carer"]],
            "officers": [m["email"] for m in ms if m["role"] == "officer"],
            "advisory": [m["email"] for m in ms if m["advisory"]], "ref": [f"{inquorate}-vote"]}


def outbox_kinds(app: Clerk, email: str) -> list[str]:
    return [r["kind"] for r in app.store.all("SELECT kind FROM outbox WHERE to_addr = ? "
                                             "ORDER BY id", [email])]


def test_natural_words_cast_a_vote_with_a_receipt(clerk_app: Clerk, voters) -> None:
    c = voters["carers"][0]
    msg = ballot_email(clerk_app, c)
    raw = gmail_reply_to(msg, c, "Carer One", "I agree with all of them, thank you.")
    result = ingest(clerk_app, raw, source="file")
    assert result.status == "processed"
    assert result.understood == "a vote (1 approve, 2 approve)"
    receipt = ballot_email(clerk_app, c, "ballot_receipt")
    text = receipt.get_body(("plain",)).get_content()
    assert re.search(r"Receipt code: [A-Z2-9]{4}-[A-Z2-9]{4}", text)
    assert receipt["Auto-Submitted"] == "auto-replied"
    assert receipt["In-Reply-To"].strip("<>") in raw.decode()


def test_split_vote_and_a_changed_mind(clerk_app: Clerk, voters, clock: FakeClock) -> None:
    c = voters["carers"][1]
    assert answer(clerk_app, c, "1 approve, 2 reject") == "processed"
    ballot = get_ballot(clerk_app, voters["ref"][0])
    assert current_tally(clerk_app, ballot).decisions[1].reject == 1
    clock.set(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    assert answer(clerk_app, c, "Actually I approve both.") == "processed"
    result = current_tally(clerk_app, ballot)
    assert (result.decisions[1].approve, result.decisions[1].reject) == (1, 0)
    assert outbox_kinds(clerk_app, c).count("ballot_receipt") == 2


def test_unclear_vote_is_asked_again_and_counts_for_nothing(clerk_app: Clerk, voters) -> None:
    c = voters["carers"][2]
    assert answer(clerk_app, c, "Against number 2") == "unclear"
    assert "ballot_unclear" in outbox_kinds(clerk_app, c)
    assert current_tally(clerk_app, get_ballot(clerk_app, voters["ref"][0])).voted == ()
    unclear = ballot_email(clerk_app, c, "ballot_unclear").get_body(("plain",)).get_content()
    assert "> Against number 2" in unclear


def test_late_vote_is_refused_with_a_clear_reply(clerk_app: Clerk, voters, clock: FakeClock) -> None:
    c = voters["carers"][0]
    clock.set(datetime(2027, 1, 26, 9, 0, tzinfo=UTC))
    status = answer(clerk_app, c, "APPROVE", received_at=datetime(2027, 1, 26, 8, 0, tzinfo=UTC))
    assert status == "refused"
    text = ballot_email(clerk_app, c, "ballot_refused").get_body(("plain",)).get_content()
    assert "arrived late and was not counted" in text


def test_spoofed_sender_with_a_valid_key_is_not_counted(clerk_app: Clerk, voters) -> None:
    c = voters["carers"][0]
    key = key_of(ballot_email(clerk_app, c))
    raw = reply(voters["advisory"][0], key, "APPROVE")
    assert ingest(clerk_app, raw, source="file").status == "refused"
    assert current_tally(clerk_app, get_ballot(clerk_app, voters["ref"][0])).voted == ()


def test_non_voting_member_and_observer_get_no_ballot_and_no_vote(clerk_app: Clerk,
                                                                   voters) -> None:
    advisory = voters["advisory"][0]
    assert "ballot" not in outbox_kinds(clerk_app, advisory)
    raw = reply(advisory, None, "I approve all of them")
    assert ingest(clerk_app, raw, source="file").status == "refused"
    raw = reply("observer@example.net", None, "APPROVE")
    assert ingest(clerk_app, raw, source="file").status == "refused"
    assert current_tally(clerk_app, get_ballot(clerk_app, voters["ref"][0])).voted == ()


def test_out_of_office_is_not_a_vote(clerk_app: Clerk, voters) -> None:
    c = voters["officers"][0]
    raw = out_of_office(c, key_of(ballot_email(clerk_app, c)))
    assert ingest(clerk_app, raw, source="file").status == "ignored"
    assert outbox_kinds(clerk_app, c) == ["ballot"]


def test_the_same_vote_delivered_twice_counts_once(clerk_app: Clerk, voters) -> None:
    c = voters["officers"][1]
    msg = ballot_email(clerk_app, c)
    raw = reply(c, key_of(msg), "REJECT", message_id="<same-vote@mail.example.org>")
    assert ingest(clerk_app, raw, source="file").status == "processed"
    assert ingest(clerk_app, raw, source="file").status == "duplicate"
    assert outbox_kinds(clerk_app, c).count("ballot_receipt") == 1


def test_a_key_from_an_earlier_ballot_is_refused(clerk_app: Clerk, voters, clock: FakeClock) -> None:
    from clerk.attendance.decisions import AddDecision, add_decision
    from clerk.attendance.register import RecordAttendance, record_attendance
    from clerk.ballots.ratification import close_ballot
    from clerk.meetings.schedule import AddMeeting, add_meeting
    from clerk.times import parse_local

    c = voters["carers"][0]
    old_key_mail = ballot_email(clerk_app, c)
    close_ballot(clerk_app, voters["ref"][0])
    clock.set(datetime(2027, 4, 15, 8, 0, tzinfo=UTC))  # added while it is ahead (10:00 BST)
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-04-15 10:00",
                                                                  clerk_app.tz))).ref
    clock.set(datetime(2027, 4, 15, 12, 0, tzinfo=UTC))
    record_attendance(clerk_app, RecordAttendance(ref, (c,)))
    add_decision(clerk_app, AddDecision(ref, "Approve the spring newsletter"))
    new = open_ballot(clerk_app, ref)
    raw = reply(c, key_of(old_key_mail), "APPROVE", in_reply_to=str(old_key_mail["Message-ID"]))
    assert ingest(clerk_app, raw, source="file").status == "refused"
    assert current_tally(clerk_app, new).voted == ()
