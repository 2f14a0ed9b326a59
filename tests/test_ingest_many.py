"""A batch replayed with ``clerk mail ingest`` decodes in a second process and records here:
the outcome of every message is the same as one by one, in order."""

from __future__ import annotations

import re

import pytest

from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.membership import list_members
from clerk.times import parse_local
from mail import ingest as ingest_module
from mail.ingest import ingest_many
from tests.reply_mail import reply


def test_a_large_batch_gives_the_same_outcomes_in_order(clerk_app: Clerk,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "BATCH_AT_LEAST", 10)
    meeting = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                      clerk_app.tz)))
    invite(clerk_app, meeting.ref)
    keys = {}
    for row in clerk_app.store.all("SELECT to_addr, raw FROM outbox WHERE kind = 'invitation'"):
        keys[row["to_addr"]] = re.search(rb"clerk\+([0-9a-f]{32})@", row["raw"]).group(1).decode()
    members = [m["email"] for m in list_members(clerk_app, "carers")]
    raws = []
    for round_ in range(3):
        for email in members:
            answer = "Yes, I'll be there" if (round_ + len(email)) % 2 else "Sorry, can't make it"
            raws.append(reply(email, keys[email], answer,
                              message_id=f"<r{round_}.{email}@mail.example.org>"))
    raws.append(b"\x00\xff not an email at all")
    results = list(ingest_many(clerk_app, raws, source="file"))
    assert [r.status for r in results[:-1]] == ["processed"] * (len(raws) - 1)
    assert [r.from_addr for r in results[:-1]] == [e for _ in range(3) for e in members]
    assert results[-1].status in ("refused", "quarantined")
    last = {e: ("attend" if (2 + len(e)) % 2 else "apologies") for e in members}
    got = {r["email"]: r["reply"] for r in clerk_app.store.all(
        "SELECT p.email, i.reply FROM invitations i JOIN people p ON p.id = i.person_id "
        "WHERE i.meeting_id = ?", [meeting.id])}
    assert got == last
    again = list(ingest_many(clerk_app, raws[:5], source="file"))  # below the batch size
    assert {r.status for r in again} == {"duplicate"}
