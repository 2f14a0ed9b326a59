"""Who gets a ballot (voting members only, whatever the electorate filter says), the warning
``check-config`` gives for a filter that would include non-voting members, and changing a vote by
replying to its receipt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import CastVote, cast_vote, current_tally, get_ballot, open_ballot
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.config import load_config
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members, list_members
from clerk.store import open_store
from clerk.times import parse_local
from mail.ingest import ingest
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS
from tests.reply_mail import gmail_reply_to

ROLE_ONLY = 'electorate = { role = ["carer", "officer"] }'
ADVISORY_OFFICER = ("body,name,email,role,organisation,carer,voting,advisory\n"
                    "carers,Una Upton,una.upton@example.org,officer,NHS England,no,no,yes\n")


def role_only_config(tmp_path: Path) -> Path:
    """The example configuration with the carers' electorate selected by role alone."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    line = next(t for t in text.splitlines() if t.startswith("electorate = { role"))
    path = tmp_path / "config.toml"
    path.write_text(text.replace(line, ROLE_ONLY), encoding="utf-8")
    return path


@pytest.fixture
def role_only_app(tmp_path: Path, clock: FakeClock) -> Iterator[Clerk]:
    app = Clerk(config=load_config(role_only_config(tmp_path)), store=open_store(memory=True),
                clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    assert import_members(app, ADVISORY_OFFICER).ok
    yield app
    app.store.close()


def inquorate_meeting(app: Clerk, clock: FakeClock) -> str:
    ref = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz))).ref
    clock.set(datetime(2027, 1, 14, 10, 0, tzinfo=UTC))  # the meeting has begun
    carers = [m["email"] for m in list_members(app, "carers") if m["carer"]]
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(app, RecordAttendance(ref, tuple(carers[:2])))
    add_decision(app, AddDecision(ref, "Adopt the 2027 carers action plan"))
    return ref


def test_a_non_voting_member_gets_no_ballot_whatever_the_filter(role_only_app: Clerk,
                                                                 clock: FakeClock) -> None:
    ballot = open_ballot(role_only_app, inquorate_meeting(role_only_app, clock))
    assert "una.upton@example.org" not in {s.email for s in ballot.electorate}
    assert all(s.voting for s in ballot.electorate)
    assert len(ballot.electorate) == 19
    sent = role_only_app.store.all("SELECT 1 FROM outbox WHERE kind = 'ballot' AND to_addr = ?",
                                   ["una.upton@example.org"])
    assert sent == []
    out = cast_vote(role_only_app, CastVote(ballot.ref, "una.upton@example.org", {1: "approve"}))
    assert out.status == "refused"
    assert current_tally(role_only_app, get_ballot(role_only_app, ballot.ref)).voted == ()


def test_check_config_warns_of_a_filter_that_would_include_non_voting_members(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = role_only_config(tmp_path)
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Warning" in out
    assert "Worcestershire Carers Partnership" in out
    assert "voting = true" in out
    assert main(["check-config", str(path), "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert len(warnings) == 1 and "carers" in warnings[0]


def test_the_example_config_selects_voting_members_only(capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert config.bodies["carers"].decisions.electorate.voting is True
    assert main(["check-config", str(EXAMPLE_CONFIG), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


def _last(app: Clerk, kind: str, to: str) -> EmailMessage:
    row = app.store.one("SELECT raw FROM outbox WHERE kind = ? AND to_addr = ? ORDER BY id DESC",
                        [kind, to])
    assert row, f"no {kind} to {to}"
    return message_from_bytes(row["raw"], policy=policy.default)  # type: ignore[return-value]


def test_a_reply_to_the_receipt_changes_the_vote(clerk_app: Clerk, clock: FakeClock) -> None:
    ballot = open_ballot(clerk_app, inquorate_meeting(clerk_app, clock))
    voter = next(s for s in ballot.electorate if s.carer)
    raw = gmail_reply_to(_last(clerk_app, "ballot", voter.email), voter.email, voter.name, "Approve")
    assert ingest(clerk_app, raw, source="file").status == "processed"
    receipt = _last(clerk_app, "ballot_receipt", voter.email)
    assert "clerk+" in str(receipt["Reply-To"])
    clock.set(datetime(2027, 1, 18, 9, 0, tzinfo=UTC))
    raw = gmail_reply_to(receipt, voter.email, voter.name, "I have changed my mind: reject.")
    result = ingest(clerk_app, raw, source="file")
    assert result.status == "processed", result
    tally = current_tally(clerk_app, get_ballot(clerk_app, ballot.ref))
    assert (tally.decisions[0].approve, tally.decisions[0].reject) == (0, 1)
    changed = _last(clerk_app, "ballot_receipt", voter.email)
    assert "has been changed" in str(changed["Subject"])
    assert "clerk+" in str(changed["Reply-To"])


def test_doctor_shows_the_electorate_warning(tmp_path: Path) -> None:
    from clerk.ops.local_checks import check_configuration
    from clerk.ops.verdicts import Verdict

    _, checks = check_configuration(role_only_config(tmp_path))
    warned = [c for c in checks if c.verdict == Verdict.WARN]
    assert [c.name for c in warned] == ["electorate"]
    assert "would include non-voting members" in warned[0].detail
