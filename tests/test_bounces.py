"""Bounces change something only when they are about a message clerk sent: a report quoting the
Message-ID of a message in clerk's outbox marks the address it went to undeliverable, in every
common shape (RFC 3464 reports, qmail, Exim, Gmail, Exchange, sendmail); a forged report about
nothing clerk sent changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from mail.automation import failed_in_text
from mail.ingest import ingest
from tests.reply_mail import bounce

FIXTURES = Path(__file__).parent / "fixtures" / "bounces"
CAROL = "carol.chowdhury@example.org"
DEV = "dev.davies@example.org"



def sent_id(app: Clerk, email: str) -> str:
    row = app.store.one("SELECT message_id FROM outbox WHERE to_addr = ? ORDER BY id", [email])
    assert row is not None
    return str(row["message_id"])


def undeliverable(app: Clerk, email: str) -> str | None:
    row = app.store.one("SELECT undeliverable FROM people WHERE email = ?", [email])
    assert row is not None
    return row["undeliverable"]


def fixture(name: str, recipient: str, message_id: str) -> bytes:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    text = text.replace("{recipient}", recipient).replace("{message_id}", message_id)
    return text.replace("\n", "\r\n").encode("utf-8")


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.eml")))
def test_a_report_about_a_message_clerk_sent_stops_mail_to_that_address(
        clerk_app: Clerk, meeting: Meeting, name: str) -> None:
    result = ingest(clerk_app, fixture(name, CAROL, sent_id(clerk_app, CAROL)), source="test")

    assert result.status == "processed", result.action
    assert f"marked {CAROL} undeliverable" in result.action
    assert undeliverable(clerk_app, CAROL)
    assert undeliverable(clerk_app, DEV) is None


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.eml")))
def test_a_report_about_nothing_clerk_sent_changes_nothing(clerk_app: Clerk, meeting: Meeting,
                                                           name: str) -> None:
    forged = fixture(name, CAROL, "invitation.0123456789abcdef01234567@clerk.example.org")
    result = ingest(clerk_app, forged, source="test")

    assert result.status == "ignored"
    assert "it refers to no message clerk sent" in result.action
    assert undeliverable(clerk_app, CAROL) is None


def test_a_forged_dsn_naming_a_member_stops_nothing(clerk_app: Clerk, meeting: Meeting) -> None:
    assert ingest(clerk_app, bounce(CAROL), source="test").status == "ignored"
    assert undeliverable(clerk_app, CAROL) is None
    # quoting the Message-ID of a message clerk sent to someone else does not stop Carol's mail
    ingest(clerk_app, bounce(CAROL, original_id=sent_id(clerk_app, DEV)), source="test")
    assert undeliverable(clerk_app, CAROL) is None


def test_the_failed_address_is_read_from_the_reports_own_words() -> None:
    qmail = (FIXTURES / "qmail.eml").read_text(encoding="utf-8").split("\n\n", 1)[1]
    assert failed_in_text(qmail.replace("{recipient}", "a@example.org")) == ["a@example.org"]
    exim = (FIXTURES / "exim_no_header.eml").read_text(encoding="utf-8").split("\n\n", 1)[1]
    assert failed_in_text(exim.replace("{recipient}", "b@example.org")) == ["b@example.org"]
    assert failed_in_text("Thanks, see you there. Ring me on bob@example.org.") == []
