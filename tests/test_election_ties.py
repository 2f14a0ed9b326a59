"""A tie the count cannot settle, settled by the Chair's casting vote (clerk elections decide, and
the console's form on /elections/{ref}) or held again between the tied (clerk elections rerun, and
the console's button); and the write-ahead log truncated once the scheduler has
closed an election, as clerk elections close does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.cli import main
from clerk.cli.common import open_app
from clerk.clock import FakeClock
from clerk.deadlines.handlers import DueJob, run_job
from clerk.elections import add_election, cast_ballot, close_election, decide_tie, get_election
from clerk.errors import BadInput, Refused
from clerk.people.directory import office_of
from clerk.rules.deadlines import JobKind
from scheduler.plan import plan
from tests.app_fixtures import EXAMPLE_MEMBERS
from tests.console_fixtures import ConsoleClient
from tests.test_elections import CAROL, DEV, ELEANOR, FAISAL, GRACE, HARRY, _pid, _standing, answer

ALICE = "alice.ashworth@example.org"  # the chair in the example membership


def _tied(app: Clerk, clock: FakeClock, tie: str = "chair_casting") -> str:
    ref = add_election(app, "carers", "vice_chair", nominations_close=date(2026, 11, 30),
                       voting_close=date(2026, 12, 11), tie=tie).ref  # type: ignore[arg-type]
    _standing(app, ref, DEV, ELEANOR, FAISAL)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    from clerk.elections import open_voting

    open_voting(app, ref)
    assert cast_ballot(app, ref, CAROL, ("Dev Davies",)).status == "recorded"
    assert cast_ballot(app, ref, GRACE, ("Eleanor Evans",)).status == "recorded"
    return ref


def test_chair_casting_vote_settles_a_tie(clerk_app: Clerk, clock: FakeClock) -> None:
    ref = _tied(clerk_app, clock)
    e = close_election(clerk_app, ref)
    assert e.result["code"] == "tie" and e.result["tied"] == ["Dev Davies", "Eleanor Evans"]
    with pytest.raises(BadInput):
        decide_tie(clerk_app, ref, ("Faisal",), given_by=ALICE)  # not one of the tied
    e = decide_tie(clerk_app, ref, ("Eleanor", "Dev"), given_by=ALICE)
    assert e.result["code"] == "elected" and e.result["elected"] == ["Eleanor Evans"]
    assert e.result["casting"] == ["Eleanor Evans", "Dev Davies"]
    event = clerk_app.store.one("SELECT * FROM audit WHERE action = 'election.decide'")
    assert event["actor"] == "facilitator" and ALICE in event["detail"]
    result = clerk_app.store.one(
        "SELECT raw FROM outbox WHERE kind = 'election_result' AND to_addr = ? ORDER BY id DESC",
        [CAROL])["raw"].decode().replace("=\n", "")
    assert "settled by the Chair's casting vote" in result and "Eleanor Evans" in result
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'election_result' "
                               "AND to_addr = ?", [CAROL])["n"] == 2
    with pytest.raises(Refused):  # decided once
        decide_tie(clerk_app, ref, ("Dev",), given_by=ALICE)


def test_a_lot_or_rerun_tie_is_not_decided_by_a_casting_vote(clerk_app: Clerk,
                                                             clock: FakeClock) -> None:
    ref = _tied(clerk_app, clock, tie="rerun")
    assert close_election(clerk_app, ref).result["code"] == "tie"
    with pytest.raises(Refused):
        decide_tie(clerk_app, ref, ("Dev",), given_by=ALICE)


@pytest.fixture
def filed(workdir: Path) -> Iterator[Path]:
    assert main(["init"]) == 0
    assert main(["members", "import", str(EXAMPLE_MEMBERS)]) == 0
    yield workdir


def _wal(workdir: Path) -> int:
    wal = next(workdir.rglob("*.db-wal"), None)
    return wal.stat().st_size if wal else 0


def _filed_tie(capsys: pytest.CaptureFixture[str],
              tie: str = "chair_casting") -> tuple[Clerk, str]:
    assert main(["elections", "add", "carers", "--office", "vice_chair", "--tie", tie,
                 "--nominations-close", "2030-06-07", "--voting-close", "2030-06-21"]) == 0
    ref = "carers-2030-vice-chair"
    for who in (DEV, ELEANOR):
        assert main(["elections", "nominate", ref, who]) == 0
        assert main(["elections", "stand", ref, who]) == 0
    app = open_app(None)
    from clerk.elections import nominate, open_voting, stand

    nominate(app, ref, FAISAL)
    stand(app, ref, FAISAL, True)
    open_voting(app, ref)
    cast_ballot(app, ref, CAROL, ("Dev Davies",))
    cast_ballot(app, ref, GRACE, ("Eleanor Evans",))
    capsys.readouterr()
    return app, ref


def test_cli_decide(filed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app, ref = _filed_tie(capsys)
    assert main(["elections", "close", ref]) == 0
    assert "(tie: Dev Davies, Eleanor Evans)" in capsys.readouterr().out
    assert main(["elections", "decide", ref, "--casting", "dev.davies@example.org,Eleanor"]) == 0
    assert "closed: elected Dev Davies" in capsys.readouterr().out
    event = app.store.one("SELECT * FROM audit WHERE action = 'election.decide'")
    assert ALICE in event["detail"]  # the chair, by default
    assert _wal(filed) == 0
    assert main(["elections", "decide", ref, "--casting", "Dev"]) != 0
    assert "has no tie to decide" in capsys.readouterr().err + ""
    app.store.close()


def test_scheduler_close_truncates_the_wal(filed: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    app, ref = _filed_tie(capsys)
    assert _wal(filed) > 0
    (job,) = [j for j in plan(app) if j.code == JobKind.ELECTION_CLOSE]
    assert run_job(app, DueJob(job.key, job.kind, job.subject_ref, job.at))
    assert get_election(app, ref).status == "closed"
    assert _wal(filed) == 0
    app.store.close()


FACILITATOR = "facilitator@carers.example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"


def test_console_casting_vote(console: Callable[[str], ConsoleClient], clerk_app: Clerk,
                              clock: FakeClock) -> None:
    ref = _tied(clerk_app, clock)
    close_election(clerk_app, ref)
    page = console(FACILITATOR).get(f"/elections/{ref}")
    assert "The Chair's casting vote" in page.text and 'value="Eleanor Evans"' in page.text
    assert console(OTHER_FACILITATOR).post(f"/elections/{ref}/decide",
                                           {"casting": "Dev Davies"}).status == 403
    assert console(FACILITATOR).post(f"/elections/{ref}/decide", {}).status == 400
    chair = console(ALICE)
    page = chair.post(f"/elections/{ref}/decide", {"casting": "Dev Davies"})
    assert page.status == 200 and "elected Dev Davies" in page.text
    assert "Count again with the casting vote" not in page.text  # decided: the form is gone
    assert "settled by the Chair's casting vote" in page.text
    e = get_election(clerk_app, ref)
    assert e.result["elected"] == ["Dev Davies"] and e.result["casting_by"] == ALICE
    row = clerk_app.store.one("SELECT actor, channel FROM audit WHERE action = 'election.decide'")
    assert (row["actor"], row["channel"]) == (ALICE, "console")
    again = console(FACILITATOR).post(f"/elections/{ref}/decide", {"casting": "Eleanor Evans"})
    assert "already decided" in again.text
    assert get_election(clerk_app, ref).result["elected"] == ["Dev Davies"]



def test_console_rerun_votes_again_between_the_tied(console: Callable[[str], ConsoleClient],
                                                    clerk_app: Clerk, clock: FakeClock) -> None:
    ref = _tied(clerk_app, clock, tie="rerun")
    close_election(clerk_app, ref)
    assert "Email new ballots" in console(FACILITATOR).get(f"/elections/{ref}").text
    assert "Email new ballots" not in console(ALICE).get(f"/elections/{ref}").text
    assert console(ALICE).post(f"/elections/{ref}/rerun", {
        "voting-day": "18", "voting-month": "12", "voting-year": "2026"}).status == 403
    bad = console(FACILITATOR).post(f"/elections/{ref}/rerun", {
        "voting-day": "31", "voting-month": "2", "voting-year": "2026"})
    assert bad.status == 400 and "Enter the day voting closes" in bad.text
    page = console(FACILITATOR).post(f"/elections/{ref}/rerun", {
        "voting-day": "18", "voting-month": "12", "voting-year": "2026"})
    new = f"{ref}-rerun"
    assert page.status == 200 and page.path == f"/elections/{new}", page.path
    assert "held again between Dev Davies and Eleanor Evans" in page.text
    again = get_election(clerk_app, new)
    assert again.status == "voting" and [c.name for c in again.standing] == \
        ["Dev Davies", "Eleanor Evans"]
    ballot = clerk_app.store.one("SELECT raw FROM outbox WHERE kind = 'election_ballot' AND "
                                 "subject_ref = ? AND to_addr = ?", [new, CAROL])
    assert "held again" in ballot["raw"].decode().replace("=\n", "")
    # the first round stands as it was, pointing at the rerun
    first = get_election(clerk_app, ref)
    assert first.result["code"] == "tie" and first.result["rerun"] == new
    assert len(first.result["ballots"]) == 2
    assert f'href="/elections/{new}"' in console(FACILITATOR).get(f"/elections/{ref}").text
    # ballots by email; the scheduler closes the rerun at its deadline
    for email, text in {CAROL: "Eleanor", GRACE: "Eleanor Evans", HARRY: "Dev"}.items():
        assert answer(clerk_app, email, new, text, "election") == "processed"
    (job,) = [j for j in plan(clerk_app) if j.code == JobKind.ELECTION_CLOSE]
    clock.set(job.at)
    run_job(clerk_app, DueJob(job.key, job.kind, job.subject_ref, job.at))
    done = get_election(clerk_app, new)
    assert done.result["elected"] == ["Eleanor Evans"] and done.result["rerun_of"] == ref
    assert office_of(clerk_app.store.db, "carers", _pid(clerk_app, ELEANOR)) == "vice_chair"
    assert "settled" not in str(get_election(clerk_app, ref).result)


def test_cli_rerun(filed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app, ref = _filed_tie(capsys, tie="rerun")
    assert main(["elections", "close", ref]) == 0
    capsys.readouterr()
    assert main(["elections", "decide", ref, "--casting", "Dev"]) != 0  # not a casting vote
    assert main(["elections", "rerun", ref, "--voting-close", "2030-07-05"]) == 0
    out = capsys.readouterr().out
    assert f"{ref}-rerun: vice_chair of carers (1 seat): voting until" in out
    assert main(["elections", "show", ref]) == 0
    assert f"held again as {ref}-rerun" in capsys.readouterr().out
    event = app.store.one("SELECT * FROM audit WHERE action = 'election.rerun'")
    assert event["actor"] == "facilitator" and f"{ref}-rerun" in event["detail"]
    app.store.close()
