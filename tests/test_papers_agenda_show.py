"""``clerk agenda show`` (text and --json) says when the papers are due, and marks the papers and
supplements that went late as late, as their emails do ("LATE: Papers ...")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.circulation import circulate_papers
from clerk.agenda.items import AddItem, add_item
from clerk.agenda.papers import AddPaper, add_paper
from clerk.app import Clerk
from clerk.cli import main
from clerk.clock import FakeClock
from tests.papers_helpers import CHAIR, at, carers_meeting, cli_clerk, pdf


@pytest.fixture
def cli_app(workdir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Clerk:
    return cli_clerk(workdir, clock, monkeypatch)


def show(capsys: pytest.CaptureFixture[str], ref: str, *extra: str) -> str:
    assert main(["agenda", "show", ref, *extra]) == 0
    return capsys.readouterr().out


def test_agenda_show_says_when_the_papers_are_due_and_marks_what_went_late(
        cli_app: Clerk, clock: FakeClock, capsys: pytest.CaptureFixture[str]) -> None:
    app = cli_app
    clock.set(at(app, "2026-12-14 09:00"))
    meeting = carers_meeting(app)  # Thursday 14 January 2027: papers due Tuesday 5 January
    add_item(app, AddItem(meeting.ref, "Carers' Strategy refresh",
                          papers=(pdf("Strategy.pdf", 50_000),)))
    out = show(capsys, meeting.ref)
    assert "Papers due by Tuesday 5 January 2027 (7 working days' notice); not circulated yet." \
        in out
    data = json.loads(show(capsys, meeting.ref, "--json"))
    assert data["papers_due"] == "2027-01-05" and data["papers_late"] is False
    assert data["circulations"] == []

    clock.set(at(app, "2027-01-06 10:00"))  # a day after the papers were due
    out = show(capsys, meeting.ref)
    assert "LATE: the papers were due by Tuesday 5 January 2027 and have not been circulated." \
        in out
    assert json.loads(show(capsys, meeting.ref, "--json"))["papers_late"] is True

    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))  # circulated at once, late
    clock.set(at(app, "2027-01-07 10:00"))
    add_paper(app, AddPaper(meeting.ref, 3, pdf("Annex.pdf", 20_000, seed=2)))  # supplement 1
    add_paper(app, AddPaper(meeting.ref, 3, pdf("Appendix.pdf", 20_000, seed=3)))  # supplement 2
    assert circulate_papers(app, meeting.ref).message == "nothing new to circulate"
    out = show(capsys, meeting.ref)
    assert "Papers due by Tuesday 5 January 2027 (7 working days' notice)." in out
    assert "LATE: papers circulated on Wednesday 6 January 2027, 1 day after they were due" in out
    assert "LATE: supplement 1 circulated on Thursday 7 January 2027" in out
    assert "Strategy.pdf (50 KB, circulated with the papers, LATE)" in out
    assert "Annex.pdf (20 KB, circulated in supplement 1, LATE)" in out
    data = json.loads(show(capsys, meeting.ref, "--json"))
    assert data["papers_late"] is True
    assert [(c["kind"], c["number"], c["sent_on"], c["late"]) for c in data["circulations"]] == [
        ("papers", 1, "2027-01-06", True), ("supplement", 1, "2027-01-07", True),
        ("supplement", 2, "2027-01-07", True)]
    [item] = [i for i in data["items"] if i["number"] == 3]
    assert [(p["file"], p["circulated_in"], p["late"]) for p in item["papers"]] == [
        ("Strategy.pdf", "papers", True), ("Annex.pdf", "supplement 1", True),
        ("Appendix.pdf", "supplement 2", True)]


def test_papers_sent_on_time_are_not_marked_late(
        cli_app: Clerk, clock: FakeClock, capsys: pytest.CaptureFixture[str]) -> None:
    app = cli_app
    clock.set(at(app, "2026-12-14 09:00"))
    meeting = carers_meeting(app)
    add_item(app, AddItem(meeting.ref, "Carers' Strategy refresh",
                          papers=(pdf("Strategy.pdf", 50_000),)))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    clock.set(at(app, "2027-01-05 09:00"))
    circulate_papers(app, meeting.ref)
    out = show(capsys, meeting.ref)
    assert "Papers circulated on Tuesday 5 January 2027." in out
    assert "LATE" not in out and "Strategy.pdf (50 KB, circulated with the papers)" in out
    data = json.loads(show(capsys, meeting.ref, "--json"))
    assert data["papers_late"] is False and data["circulations"][0]["late"] is False


def test_a_meeting_with_nothing_to_circulate_is_not_marked_late(
        cli_app: Clerk, clock: FakeClock, capsys: pytest.CaptureFixture[str]) -> None:
    app = cli_app
    clock.set(at(app, "2026-12-14 09:00"))
    meeting = carers_meeting(app)  # only its standing items
    clock.set(at(app, "2027-01-06 10:00"))
    out = show(capsys, meeting.ref)
    assert "LATE" not in out and "Papers due by Tuesday 5 January 2027" in out
    assert json.loads(show(capsys, meeting.ref, "--json"))["papers_late"] is False
