"""Elections with secret ballots: nominations and seconding by email, a candidate standing,
voting by email reply through mail ingest, receipts in the result, an uncontested seat, office
holders changed on the day the result takes effect, and the secrecy of every ballot."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.deadlines.handlers import DueJob, run_job
from clerk.elections import (
    add_election,
    close_election,
    get_election,
    nominate,
    open_voting,
    stand,
)
from clerk.outbox.delivery import mark_sent
from clerk.people.directory import office_of
from clerk.reading.election import read_ballot, read_nominee, read_stands
from clerk.rules.deadlines import JobKind
from mail.ingest import ingest
from scheduler.plan import plan
from tests.app_fixtures import EXAMPLE_MEMBERS
from tests.reply_mail import reply

CAROL = "carol.chowdhury@example.org"
DEV = "dev.davies@example.org"
ELEANOR = "eleanor.evans@example.org"
FAISAL = "faisal.fletcher@example.org"
GRACE = "grace.green@example.org"
HARRY = "harry.hughes@example.org"
ALICE = "alice.ashworth@example.org"  # the chair in the example membership


def answer(app: Clerk, email: str, ref: str, text: str, purpose: str) -> str:
    row = app.store.one("SELECT k.key FROM reply_keys k JOIN people p ON p.id = k.person_id "
                        "WHERE p.email = ? AND k.subject_ref = ? AND k.purpose = ?",
                        [email, ref, purpose])
    assert row is not None, f"no {purpose} key for {email}"
    return ingest(app, reply(email, str(row["key"]), text), source="file").status


def _add(app: Clerk, seats: int = 1, office: str = "chair",
         takes_effect: date | None = None) -> str:
    return add_election(app, "carers", office, seats=seats,
                        nominations_close=date(2026, 11, 30), voting_close=date(2026, 12, 11),
                        takes_effect=takes_effect).ref


def _standing(app: Clerk, ref: str, *emails: str) -> None:
    for e in emails:
        nominate(app, ref, e)
        stand(app, ref, e, True)


def test_nominated_seconded_and_standing_by_email(clerk_app: Clerk) -> None:
    ref = _add(clerk_app)
    calls = clerk_app.store.all("SELECT to_addr FROM outbox WHERE kind = 'election_call'")
    assert {r["to_addr"] for r in calls} >= {CAROL, DEV, "imogen.iqbal@example.org"}
    assert answer(clerk_app, CAROL, ref, "I nominate Dev Davies please", "nomination") \
        == "processed"
    assert answer(clerk_app, ELEANOR, ref, f"Happy to second {DEV}", "nomination") == "processed"
    e = get_election(clerk_app, ref)
    (dev,) = e.candidates
    assert (dev.email, dev.nominated_by, dev.seconded_by, dev.stands) == (DEV, CAROL, ELEANOR,
                                                                          "asked")
    # the nominee is asked; their yes makes them a candidate
    assert answer(clerk_app, DEV, ref, "Yes, I will stand.", "candidacy") == "processed"
    assert get_election(clerk_app, ref).standing[0].email == DEV
    assert answer(clerk_app, CAROL, ref, "Someone good", "nomination") == "unclear"


def test_uncontested_seat_is_declared_without_a_ballot(clerk_app: Clerk,
                                                        clock: FakeClock) -> None:
    ref = _add(clerk_app, office="vice_chair")
    _standing(clerk_app, ref, DEV)
    nominate(clerk_app, ref, CAROL)  # nominated, never answered: not a candidate
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    e = open_voting(clerk_app, ref)
    assert e.status == "closed" and e.result["uncontested"] and e.result["elected"] == \
        ["Dev Davies"]
    assert not clerk_app.store.all("SELECT 1 FROM outbox WHERE kind = 'election_ballot'")
    text = clerk_app.store.one("SELECT raw FROM outbox WHERE kind = 'election_result' AND "
                               "to_addr = ?", [GRACE])["raw"].decode()
    assert "elected unopposed" in text.replace("=\n", "")
    assert office_of(clerk_app.store.db, "carers", _pid(clerk_app, DEV)) == "vice_chair"
    # the former vice chair lost the office that day
    assert office_of(clerk_app.store.db, "carers",
                     _pid(clerk_app, "bilal.bennett@example.org")) == ""


def _pid(app: Clerk, email: str) -> int:
    return int(app.store.one("SELECT id FROM people WHERE email = ?", [email])["id"])


@pytest.fixture
def contested(clerk_app: Clerk, clock: FakeClock) -> str:
    ref = _add(clerk_app, takes_effect=date(2027, 1, 14))
    _standing(clerk_app, ref, DEV, ELEANOR, FAISAL)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    # the scheduler opens voting when nominations close
    (job,) = [j for j in plan(clerk_app) if j.code == JobKind.ELECTION_OPEN]
    run_job(clerk_app, DueJob(job.key, job.kind, job.subject_ref, job.at))
    assert get_election(clerk_app, ref).status == "voting"
    return ref


VOTES = {CAROL: "Dev Davies", GRACE: "I vote for Eleanor", HARRY: "Dev"}


def _vote_all(app: Clerk, ref: str) -> None:
    for email, text in VOTES.items():
        assert answer(app, email, ref, text, "election") == "processed"


def test_voting_by_email_receipts_and_result(clerk_app: Clerk, contested: str,
                                             clock: FakeClock) -> None:
    _vote_all(clerk_app, contested)
    receipts = {}
    for email in VOTES:
        raw = clerk_app.store.one("SELECT raw FROM outbox WHERE kind = 'election_receipt' AND "
                                  "to_addr = ?", [email])["raw"].decode()
        receipts[email] = re.search(r"Receipt code: ([A-Z2-9]{4}-[A-Z2-9]{4})", raw).group(1)
    # a second reply does not change the first ballot
    assert answer(clerk_app, CAROL, contested, "Eleanor Evans", "election") == "processed"
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM election_ballots")["n"] == 3
    assert answer(clerk_app, GRACE, contested, "Bob", "election") == "unclear"
    e = close_election(clerk_app, contested)
    assert e.result["elected"] == ["Dev Davies"] and e.result["code"] == "elected"
    listed = {b["receipt"]: b["choice"] for b in e.result["ballots"]}
    assert listed == {receipts[CAROL]: ["Dev Davies"], receipts[GRACE]: ["Eleanor Evans"],
                      receipts[HARRY]: ["Dev Davies"]}
    result = clerk_app.store.one("SELECT raw FROM outbox WHERE kind = 'election_result' AND "
                                 "to_addr = ?", [CAROL])["raw"].decode().replace("=\n", "")
    assert all(r in result for r in receipts.values())
    # takes effect later: the chair keeps the office until the deadline job runs that day
    assert office_of(clerk_app.store.db, "carers", _pid(clerk_app, ALICE)) == "chair"
    clock.set(datetime(2027, 1, 14, 1, 0, tzinfo=UTC))
    (job,) = [j for j in plan(clerk_app) if j.code == JobKind.ELECTION_TAKES_EFFECT]
    run_job(clerk_app, DueJob(job.key, job.kind, job.subject_ref, job.at))
    assert office_of(clerk_app.store.db, "carers", _pid(clerk_app, DEV)) == "chair"
    assert office_of(clerk_app.store.db, "carers", _pid(clerk_app, ALICE)) == ""


def test_a_ballot_cannot_be_linked_to_its_voter(clerk_app: Clerk, contested: str) -> None:
    _vote_all(clerk_app, contested)
    for row in clerk_app.store.all("SELECT id FROM outbox WHERE status = 'queued'"):
        mark_sent(clerk_app, int(row["id"]))  # every email delivered
    db = clerk_app.store.db
    ballots = clerk_app.store.all("SELECT * FROM election_ballots")
    receipts = [b["receipt"] for b in ballots]
    # no voter, no time, no insertion order: rows come back ordered by the random receipt
    assert set(ballots[0]) == {"receipt", "election_id", "choice_json"}
    assert receipts == sorted(receipts)
    with pytest.raises(sqlite3.OperationalError):
        db.execute("SELECT rowid FROM election_ballots")
    # nor in the file's bytes: rows are laid out in receipt order, not the order they came in
    image = db.conn.serialize()
    offsets = sorted((image.find(r.encode()), r) for r in receipts)
    assert [r for _, r in offsets] in (sorted(receipts), sorted(receipts, reverse=True))
    assert all(image.count(r.encode()) == 1 for r in receipts)  # no stale copy
    voters = [r["person_id"] for r in clerk_app.store.all("SELECT * FROM election_voters")]
    assert voters == sorted(voters) and len(voters) == 3
    # a receipt is found in the ballot table and nowhere else in the database
    dump = "\n".join(line for line in db.conn.iterdump()
                     if not line.startswith('INSERT INTO "election_ballots"'))
    for r in receipts:
        assert r not in dump
    # the audit log says who voted, never what; the inbound record keeps no words or bytes
    for row in clerk_app.store.all("SELECT * FROM audit WHERE action = 'election.voted'"):
        assert json.loads(row["detail"]) == {}
    for row in clerk_app.store.all("SELECT * FROM audit WHERE subject = ?", [contested]):
        assert "Eleanor Evans" not in row["evidence"]
        assert not any(r in row["detail"] for r in receipts)
    for row in clerk_app.store.all("SELECT raw, understood, action FROM inbound WHERE "
                                   "understood LIKE 'a ballot%'"):
        assert row["raw"] == b"" and "Dev" not in row["understood"] + row["action"]
    # no email but the voter's own ever held the receipt, and that one is not kept once sent
    for row in clerk_app.store.all("SELECT raw, subject FROM outbox"):
        assert not any(r in bytes(row["raw"]).decode(errors="ignore") + row["subject"]
                       for r in receipts)


def test_reminder_goes_only_to_those_who_have_not_voted(clerk_app: Clerk, contested: str,
                                                        clock: FakeClock) -> None:
    _vote_all(clerk_app, contested)
    (job,) = [j for j in plan(clerk_app) if j.code == JobKind.ELECTION_REMINDER]
    clock.set(job.at)
    run_job(clerk_app, DueJob(job.key, job.kind, job.subject_ref, job.at))
    reminded = {r["to_addr"] for r in clerk_app.store.all(
        "SELECT to_addr FROM outbox WHERE kind = 'election_reminder'")}
    assert reminded and not reminded & set(VOTES) and DEV in reminded
    (job,) = [j for j in plan(clerk_app) if j.code == JobKind.ELECTION_CLOSE]
    clock.set(job.at)
    run_job(clerk_app, DueJob(job.key, job.kind, job.subject_ref, job.at))
    assert get_election(clerk_app, contested).result["elected"] == ["Dev Davies"]
    assert answer(clerk_app, DEV, contested, "Eleanor", "election") == "refused"


def test_ranked_ballot_for_two_seats(clerk_app: Clerk, clock: FakeClock) -> None:
    ref = _add(clerk_app, seats=2, office="forum_rep")
    _standing(clerk_app, ref, DEV, ELEANOR, FAISAL)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    open_voting(clerk_app, ref)
    for email, text in {CAROL: "1 Dev Davies, 2 Eleanor", GRACE: "1 Faisal\n2 Dev",
                        HARRY: "1 Dev, 2 Faisal", ALICE: "1 Eleanor Evans",
                        "imogen.iqbal@example.org": "1 Faisal Fletcher"}.items():
        assert answer(clerk_app, email, ref, text, "election") == "processed"
    e = close_election(clerk_app, ref)
    assert sorted(e.result["elected"]) == ["Dev Davies", "Faisal Fletcher"]


def test_reading() -> None:
    names = ["Dev Davies", "Eleanor Evans", "Faisal Fletcher"]
    assert read_ballot("Eleanor please", names, ranked=False).choice == ("Eleanor Evans",)
    assert read_ballot("Dev or Eleanor", names, ranked=False).code == "several"
    assert read_ballot("1 Faisal, 2 Dev Davies", names, ranked=True).choice == \
        ("Faisal Fletcher", "Dev Davies")
    assert read_ballot("1 Faisal, 2 Faisal", names, ranked=True).code == "repeated"
    assert read_nominee("I nominate dev.davies@example.org",
                        [("dev.davies@example.org", "Dev Davies")]) == "dev.davies@example.org"
    assert read_stands("Yes I stand") is True and read_stands("No thank you") is False
    assert read_stands("maybe") is None


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_cli(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "members", "import", str(EXAMPLE_MEMBERS))[0] == 0
    code, out = run(capsys, "elections", "add", "carers", "--office", "chair",
                    "--nominations-close", "2030-06-07", "--voting-close", "2030-06-21")
    assert code == 0 and out.startswith("carers-2030-chair: nominations open until")
    code, out = run(capsys, "elections", "nominate", "carers-2030-chair", DEV)
    assert code == 0 and "Dev Davies nominated by facilitator; stands: asked." in out
    assert run(capsys, "elections", "nominate", "carers-2030-chair", DEV, "--by", CAROL)[1] \
        .count("seconded by " + CAROL) == 1
    assert run(capsys, "elections", "stand", "carers-2030-chair", DEV)[0] == 0
    code, out = run(capsys, "elections", "open", "carers-2030-chair")
    assert "closed: elected unopposed Dev Davies" in out
    code, out = run(capsys, "elections", "show", "carers-2030-chair", "--json")
    assert json.loads(out)["result"]["elected"] == ["Dev Davies"]
    assert "carers-2030-chair" in run(capsys, "elections", "list")[1]
    code, out = run(capsys, "elections", "close", "nope")
    assert code != 0 and "there is no election" in out
