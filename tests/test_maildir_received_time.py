"""A message in the local Maildir inbox was received when it was delivered there (the file's time,
which delivery sets and reading leaves alone), not when clerk got round to reading it: a vote
delivered before the deadline and read after it is counted; one delivered after is refused."""

from __future__ import annotations

import asyncio
import mailbox
import os
from datetime import timedelta
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.ballots.ratification import current_tally, get_ballot
from clerk.clock import FakeClock
from clerk.times import from_iso
from mail.maildir_reader import MaildirReader
from tests.reply_mail import reply
from tests.test_ballots import inquorate  # noqa: F401  (the fixture)
from tests.test_vote_email import ballot_email, key_of, voters  # noqa: F401  (fixtures)


@pytest.fixture
def inbox(clerk_app: Clerk, tmp_path: Path) -> mailbox.Maildir:
    mail = clerk_app.config.mail.model_copy(update={"maildir": tmp_path / "mail"})
    clerk_app.config = clerk_app.config.model_copy(update={"mail": mail})
    (tmp_path / "mail").mkdir()
    return mailbox.Maildir(tmp_path / "mail" / "inbox", create=True)


def deliver_vote(app: Clerk, box: mailbox.Maildir, email: str, text: str,
                 delivered: float, folder: str = "new") -> None:
    msg = ballot_email(app, email)
    key = box.add(reply(email, key_of(msg), text, in_reply_to=str(msg["Message-ID"])))
    if folder == "cur":
        message = box.get_message(key)
        message.set_subdir("cur")
        box[key] = message
    path = Path(box._path) / box._lookup(key)  # type: ignore[attr-defined]
    os.utime(path, (delivered, delivered))


@pytest.mark.parametrize("folder", ["new", "cur"])
def test_a_vote_delivered_before_the_deadline_and_read_after_it_counts(
        clerk_app: Clerk, voters: dict[str, list[str]], inbox: mailbox.Maildir,  # noqa: F811
        clock: FakeClock, folder: str) -> None:
    ballot = get_ballot(clerk_app, voters["ref"][0])
    on_time, late = voters["carers"][0], voters["carers"][1]
    deliver_vote(clerk_app, inbox, on_time, "APPROVE",
                 (ballot.closes_at - timedelta(minutes=2)).timestamp(), folder)
    deliver_vote(clerk_app, inbox, late, "REJECT",
                 (ballot.closes_at + timedelta(minutes=2)).timestamp(), folder)
    clock.set(ballot.closes_at + timedelta(hours=9))  # clerk was down overnight

    report = asyncio.run(MaildirReader(clerk_app).drain_once())

    by_sender = {r.from_addr: r.status for r in report.results}
    assert by_sender == {on_time: "processed", late: "refused"}
    tally = current_tally(clerk_app, ballot)
    assert (tally.decisions[1].approve, tally.decisions[1].reject) == (1, 0)
    late_text = ballot_email(clerk_app, late, "ballot_refused").get_body(("plain",)).get_content()
    assert "arrived late and was not counted" in late_text
    row = clerk_app.store.one("SELECT received_at FROM inbound WHERE from_addr = ?", [on_time])
    assert row is not None and from_iso(row["received_at"]) == ballot.closes_at - timedelta(minutes=2)


def test_a_file_time_in_the_future_counts_as_now(clerk_app: Clerk, voters: dict[str, list[str]],  # noqa: F811
                                                 inbox: mailbox.Maildir, clock: FakeClock) -> None:
    ballot = get_ballot(clerk_app, voters["ref"][0])
    c = voters["carers"][0]
    clock.set(ballot.closes_at + timedelta(minutes=5))
    deliver_vote(clerk_app, inbox, c, "APPROVE", (ballot.closes_at - timedelta(days=365)).timestamp()
                 + 2 * 365 * 86400)  # a year after the deadline: a wrong clock, not a delivery
    [result] = asyncio.run(MaildirReader(clerk_app).drain_once()).results
    assert result.status == "refused"
