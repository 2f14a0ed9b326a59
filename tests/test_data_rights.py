"""Members' data rights (issue 17): ``clerk people export`` answers a subject access request in
one archive; ``clerk people erase`` replaces a person by a pseudonym in every record, keeping the
counts, the decisions and the audit chain."""

from __future__ import annotations

import html
import io
import json
import re
import stat
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.attendance.report import attendance_report
from clerk.ballots.ratification import CastVote, cast_vote, close_ballot, open_ballot
from clerk.clock import FakeClock
from clerk.errors import NotFound, Refused
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.erasure import erase_person
from clerk.people.export import SECTIONS, export_person
from clerk.people.membership import end_membership
from clerk.records.publish import publish_site
from clerk.store import audit
from clerk.times import parse_local, to_iso
from mail.ingest import ingest
from tests.console_fixtures import ConsoleClient
from tests.reply_mail import reply

BILAL = "bilal.bennett@example.org"
NAME = "Bilal Bennett"
ALICE = "alice.ashworth@example.org"
FACILITATOR = "facilitator@carers.example.org"
APPROVE_ALL = {1: "approve", 2: "approve"}


@pytest.fixture
def history(clerk_app: Clerk, clock: FakeClock) -> str:
    """Bilal's year: invited and replying by email, present at a meeting that took two decisions,
    voting to ratify them, booked as an observer elsewhere, linked in chat; then he leaves."""
    app = clerk_app
    from clerk.attendance.invitations import invite

    ref = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                      venue="County Hall")).ref
    invite(app, ref)
    key = app.store.one("SELECT k.key FROM reply_keys k JOIN people p ON p.id = k.person_id "
                        "WHERE p.email = ? AND k.subject_ref = ?", [BILAL, ref])
    assert key is not None
    ingest(app, reply(BILAL, str(key["key"]), "Yes, I will be there.", name=NAME), source="test")
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(app, RecordAttendance(ref, (ALICE, BILAL)))
    add_decision(app, AddDecision(ref, f"Thank {NAME} for the carers' survey"))
    add_decision(app, AddDecision(ref, "Hold the summer meeting online"))
    ballot = open_ballot(app, ref)
    for email in (ALICE, BILAL, "carol.chowdhury@example.org"):
        assert cast_vote(app, CastVote(ballot.ref, email, APPROVE_ALL)).status == "recorded"
    close_ballot(app, ballot.ref)
    now = to_iso(app.clock.now())
    with app.store.write() as db:
        pid = db.execute("SELECT id FROM people WHERE email = ?", [BILAL]).fetchone()[0]
        db.execute("INSERT INTO chat_links (chat_id, person_id, linked_at) VALUES (?, ?, ?)",
                   [424242, pid, now])
        other = db.execute("SELECT id FROM meetings WHERE ref = ?", [ref]).fetchone()[0]
        db.execute("INSERT INTO bookings (meeting_id, email, name, chat_id, status, created_at, "
                   "updated_at) VALUES (?, ?, ?, ?, 'booked', ?, ?)",
                   [other, BILAL, NAME, 424242, now, now])
    clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    end_membership(app, BILAL, "carers", date(2027, 1, 31))
    return ref


def _every_text(app: Clerk) -> list[tuple[str, str, str]]:
    """Every text (and blob, decoded) value of every table, as (table, column, value)."""
    found = []
    db = app.store.db
    for table in db.table_names():
        for column in db[table].columns:
            for row in db.execute(f'SELECT "{column.name}" FROM "{table}"').fetchall():
                value = row[0]
                if isinstance(value, bytes):
                    value = value.decode("utf-8", errors="replace")
                if isinstance(value, str):
                    found.append((table, column.name, value))
    return found


def _traces(app: Clerk) -> list[tuple[str, str]]:
    return [(t, c) for t, c, v in _every_text(app)
            if "bennett" in v.lower()]


def _tally(app: Clerk) -> list[tuple[int, int, int]]:
    from clerk.ballots.ratification import current_tally, get_ballot

    ballot = get_ballot(app, app.store.one("SELECT ref FROM ballots")["ref"])
    stored = json.loads(app.store.one("SELECT result FROM ballots")["result"])
    now = current_tally(app, ballot)
    assert [(d["approve"], d["reject"]) for d in stored["decisions"]] == \
        [(d.approve, d.reject) for d in now.decisions]
    return [(d.number, d.approve, d.reject) for d in now.decisions]


def test_export_holds_every_kind_of_record(clerk_app: Clerk, history: str,
                                           tmp_path: Path) -> None:
    out = export_person(clerk_app, BILAL, tmp_path / "bilal.zip", actor="facilitator")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["person.html", "person.json"]
        data = json.loads(z.read("person.json"))
        page = z.read("person.html").decode()
    assert set(SECTIONS) <= set(data)
    assert data["person"]["email"] == BILAL and data["person"]["name"] == NAME
    assert [m["body"] for m in data["memberships"]] == ["carers"]
    assert data["invitations"][0]["reply"] == "attend"
    assert data["attendance"][0]["status"] == "present"
    assert len(data["votes"]) == 1 and json.loads(data["votes"][0]["choices"])
    assert data["bookings"][0]["status"] == "booked"
    assert data["chat_links"][0]["chat_id"] == 424242
    assert "Yes, I will be there." in data["messages_in"][0]["raw"]
    assert {m["kind"] for m in data["messages_out"]} >= {"invitation", "ballot"}
    assert any(e["action"] == "vote.cast" for e in data["audit"])
    # the readable page escapes what it shows (the apostrophe of "carers'" and the address's <>)
    assert "&lt;bilal.bennett@example.org&gt;" in page
    assert "<bilal.bennett@example.org>" not in page
    assert "Your votes" in page
    last = clerk_app.store.one("SELECT action, subject FROM audit ORDER BY id DESC LIMIT 1")
    assert last == {"action": "person.exported", "subject": BILAL}


def test_export_of_an_unknown_address_is_refused(clerk_app: Clerk, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        export_person(clerk_app, "nobody@example.org", tmp_path / "x.zip", actor="facilitator")
    assert not (tmp_path / "x.zip").exists()


def test_erase_leaves_no_trace_and_keeps_the_counts(clerk_app: Clerk, history: str,
                                                    tmp_path: Path) -> None:
    app = clerk_app
    period = (date(2026, 7, 1), date(2027, 6, 30))
    before = attendance_report(app, "carers", *period)
    tally_before = _tally(app)
    decisions_before = app.store.all("SELECT number, status FROM decisions ORDER BY number")
    assert _traces(app)

    report = erase_person(app, BILAL, actor="facilitator")

    assert re.fullmatch(r"person-[0-9a-f]{8}", report.pseudonym)
    # most events named him by address only: rewritten, and their hash still checks them
    assert 0 < report.sealed < report.counts["audit_rows"]
    assert _traces(app) == []
    assert audit.verify_chain(app.store.db).ok
    after = attendance_report(app, "carers", *period)
    # the same tallies (his line is now under his pseudonym, so sorted elsewhere)
    assert sorted(map(repr, (m.tally for m in after.members))) == \
        sorted(map(repr, (m.tally for m in before.members)))
    assert [m.tally for m in after.members if m.name == report.pseudonym] == \
        [m.tally for m in before.members if m.email == BILAL]
    assert len(after.members) == len(before.members)
    assert _tally(app) == tally_before
    from clerk.ballots.verify import verify_ballot

    check = verify_ballot(app, app.store.one("SELECT ref FROM ballots")["ref"])
    assert check.ok, check.lines
    assert app.store.all("SELECT number, status FROM decisions ORDER BY number") == \
        decisions_before
    assert app.store.one("SELECT count(*) AS n FROM chat_links")["n"] == 0
    assert app.store.one("SELECT count(*) AS n FROM bookings WHERE chat_id IS NOT NULL")["n"] == 0
    erased = app.store.one("SELECT * FROM audit WHERE action = 'person.erased'")
    assert erased["subject"] == report.pseudonym
    assert "bennett" not in json.dumps(erased).lower()
    # the decision naming him keeps its words, with the pseudonym
    assert app.store.one("SELECT text FROM decisions WHERE number = 1")["text"] == \
        f"Thank {report.pseudonym} for the carers' survey"
    # the published site, made again, does not name him
    site = tmp_path / "site"
    publish_site(app, site)
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8").lower()
        assert "bennett" not in text, page
    # asked again: he is no longer there
    with pytest.raises(NotFound):
        erase_person(app, BILAL, actor="facilitator")


def test_a_current_member_is_not_erased(clerk_app: Clerk) -> None:
    with pytest.raises(Refused, match="still holds a seat on carers"):
        erase_person(clerk_app, ALICE, actor="facilitator")
    assert audit.verify_chain(clerk_app.store.db).ok


def _old_style_row(app: Clerk, subject: str, detail: dict[str, str]) -> None:
    """A row as clerk wrote them before migration m018 (rule 1: the address in the hash)."""
    db = app.store.db
    last = db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    row = {"at": "2026-01-05T10:00:00+00:00", "actor": "facilitator", "action": "member.added",
           "subject": subject, "channel": "cli", "evidence": "{}",
           "detail": json.dumps(detail, sort_keys=True), "idempotency_key": None,
           "prev_hash": last[0] if last else audit.GENESIS, "rule": 1}
    row["hash"] = audit.row_hash(row)
    with app.store.write() as wdb:
        wdb.execute(f"INSERT INTO audit ({', '.join(row)}) VALUES "
                    f"({', '.join('?' for _ in row)})", list(row.values()))


def test_rows_written_before_the_switch_are_sealed_not_rehashed(clerk_app: Clerk,
                                                                  history: str) -> None:
    app = clerk_app
    _old_style_row(app, BILAL, {"name": NAME})
    old = app.store.one("SELECT id, hash FROM audit WHERE rule = 1 AND subject = ?", [BILAL])
    assert audit.verify_chain(app.store.db).ok
    report = erase_person(app, BILAL, actor="facilitator")
    assert report.sealed >= 1
    row = app.store.one("SELECT * FROM audit WHERE id = ?", [old["id"]])
    assert row["hash"] == old["hash"] and row["subject"] == report.pseudonym
    assert _traces(app) == []
    assert audit.verify_chain(app.store.db).ok


def test_the_chain_still_catches_tampering_after_an_erasure(clerk_app: Clerk,
                                                            history: str) -> None:
    app = clerk_app
    erase_person(app, BILAL, actor="facilitator")
    db = app.store.db
    # only rows an erasure lists may be changed, and never their hash
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE audit SET detail = '{}' WHERE id = (SELECT min(id) FROM audit "
                   "WHERE id NOT IN (SELECT audit_id FROM audit_redactions))")
    rewritten = db.execute("SELECT audit_id FROM audit_redactions WHERE sealed = 0 "
                           "LIMIT 1").fetchone()[0]
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE audit SET hash = ? WHERE id = ?", ["0" * 64, rewritten])
    # a row the erasure rewrote (its hash still covers it) is still checked
    db.execute("UPDATE audit SET channel = 'email' WHERE id = ?", [rewritten])
    check = audit.verify_chain(db)
    assert not check.ok and f"row {rewritten} was changed" in check.reason


def test_the_commands(clerk_app: Clerk, history: str, workdir: Path,
                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import clerk.cli.audit_cmds
    import clerk.cli.people_cmds
    from clerk.cli import main

    for module in (clerk.cli.audit_cmds, clerk.cli.people_cmds):
        monkeypatch.setattr(module, "open_app", lambda *a, **k: clerk_app)
    assert main(["people", "export", BILAL, "--out", str(workdir / "b.zip")]) == 0
    assert (workdir / "b.zip").exists()
    (workdir / "site").mkdir()
    (workdir / "site" / "index.html").write_text(f"<p>{NAME}</p>", encoding="utf-8")
    assert main(["people", "erase", BILAL, "--yes", "--site", str(workdir / "site")]) == 0
    out = capsys.readouterr().out
    assert "Erased: they are person-" in out
    assert "published page" in out and "index.html" in out
    assert main(["audit", "verify"]) == 0


def test_the_console_downloads_their_data_and_erases_a_former_member(
        console: Callable[[str], ConsoleClient], clerk_app: Clerk, history: str) -> None:
    client = console(FACILITATOR)
    pid = clerk_app.store.one("SELECT id FROM people WHERE email = ?", [BILAL])["id"]
    path = f"/bodies/carers/members/{pid}"
    page = client.get(path)
    assert "Download their data" in page.text and "Erase them" in page.text

    async def download() -> tuple[int, str, bytes]:
        async with client.client.post(f"{path}/export", data={"csrf": client.csrf}) as response:
            return (response.status, response.headers["Content-Disposition"],
                    await response.read())

    status, disposition, content = client._run(download())
    assert status == 200 and "attachment" in disposition and "bennett" not in disposition
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert json.loads(z.read("person.json"))["person"]["email"] == BILAL
    event = clerk_app.store.one("SELECT actor, channel FROM audit WHERE action = "
                                "'person.exported'")
    assert event == {"actor": FACILITATOR, "channel": "console"}

    unticked = client.post(f"{path}/erase", {})
    assert unticked.status == 400 and "Tick the box" in unticked.text
    assert clerk_app.store.one("SELECT name FROM people WHERE id = ?", [pid])["name"] == NAME
    erased = client.post(f"{path}/erase", {"confirm": "yes"})
    assert erased.path == "/bodies/carers/members"
    assert "was erased: they are person-" in html.unescape(erased.text)
    assert _traces(clerk_app) == []
    assert audit.verify_chain(clerk_app.store.db).ok
    # a current member's page offers the download, not the erasure
    alice = clerk_app.store.one("SELECT id FROM people WHERE email = ?", [ALICE])["id"]
    page = client.get(f"/bodies/carers/members/{alice}")
    assert "Download their data" in page.text and "Erase them" not in page.text
    refused = client.post(f"/bodies/carers/members/{alice}/erase", {"confirm": "yes"})
    assert refused.status == 400 and "still holds a seat" in html.unescape(refused.text)
