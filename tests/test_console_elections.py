"""The console's election pages: the facilitator adds an election and nominates; the page shows
the candidates, the state and how many have voted, never who voted what; closing counts and shows
the result with every ballot's receipt; the Chair may look but not act; another body's
facilitator is refused (403) by URL and by form."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.elections import (
    add_election,
    cast_ballot,
    get_election,
    nominate,
    open_voting,
    stand,
)
from clerk.store import audit
from tests.console_fixtures import ConsoleClient

FACILITATOR = "facilitator@carers.example.org"
CHAIR = "alice.ashworth@example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
ELEANOR = "eleanor.evans@example.org"
FAISAL = "faisal.fletcher@example.org"
VOTERS = {"carol.chowdhury@example.org": "Carol Chowdhury", "dev.davies@example.org": "Dev Davies",
          "grace.green@example.org": "Grace Green"}

Console = Callable[[str], ConsoleClient]

ADD = {"office": "Vice Chair", "seats": "1",
       "nominations-day": "30", "nominations-month": "11", "nominations-year": "2026",
       "voting-day": "11", "voting-month": "12", "voting-year": "2026",
       "effect-day": "", "effect-month": "", "effect-year": ""}


def _add(console: Console) -> str:
    page = console(FACILITATOR).post("/bodies/carers/elections", ADD)
    assert page.status == 200, page.text
    found = re.fullmatch(r"/elections/([\w-]+)", page.path)
    assert found, page.path
    assert "call for nominations emailed" in page.text
    return found.group(1)


def _voting(clerk_app: Clerk, clock: FakeClock) -> str:
    """An election for Vice Chair with two candidates, voting open on 1 December 2026 (made
    through the services: a console session does not last the week in between)."""
    ref = add_election(clerk_app, "carers", "vice_chair", nominations_close=date(2026, 11, 30),
                       voting_close=date(2026, 12, 11), actor=FACILITATOR).ref
    for email in (ELEANOR, FAISAL):
        nominate(clerk_app, ref, email, by=FACILITATOR)
        stand(clerk_app, ref, email, True)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert open_voting(clerk_app, ref).status == "voting"
    return ref


def test_the_facilitator_adds_an_election_with_the_bodys_tie_rule(console: Console,
                                                                  clerk_app: Clerk) -> None:
    listing = console(FACILITATOR).get("/bodies/carers/elections")
    assert listing.status == 200
    assert "No elections yet" in listing.text and "Add the election" in listing.text
    assert "decided by lot" in listing.text  # elections = { tie = "lot" } in the example file
    ref = _add(console)
    election = get_election(clerk_app, ref)
    assert (election.body, election.office, election.seats, election.tie) == (
        "carers", "vice_chair", 1, "lot")
    page = console(FACILITATOR).get(f"/elections/{ref}")
    assert "Taking nominations" in page.text and "Vice chair, Worcestershire" in page.text
    assert "Monday 30 November 2026 at 23:59" in page.text
    listing = console(FACILITATOR).get("/bodies/carers/elections")
    assert f'href="/elections/{ref}"' in listing.text
    assert "/bodies/carers/elections" in console(FACILITATOR).get("/bodies/carers").text
    (row,) = clerk_app.store.all("SELECT actor, channel FROM audit WHERE action = "
                                 "'election.add'")
    assert (row["actor"], row["channel"]) == (FACILITATOR, "console")


def test_a_form_with_mistakes_is_shown_again_with_each_problem(console: Console) -> None:
    page = console(FACILITATOR).post("/bodies/carers/elections", {
        **ADD, "office": "", "seats": "none", "voting-day": "41"})
    assert page.status == 400
    assert "There is a problem" in page.text
    assert "Enter the office" in page.text
    assert "a whole number from 1" in page.text
    assert "Voting closes: enter a real date" in page.text
    refused = console(FACILITATOR).post("/bodies/carers/elections", {
        **ADD, "voting-day": "29", "voting-month": "11"})
    assert refused.status == 400 and "voting must close after nominations close" in refused.text


def test_nominating_in_the_console(console: Console, clerk_app: Clerk) -> None:
    ref = _add(console)
    page = console(FACILITATOR).post(f"/elections/{ref}/nominate", {"nominee": ELEANOR})
    assert "Eleanor Evans is nominated" in page.text
    assert "Eleanor Evans" in page.text and "Asked" in page.text and "Not seconded" in page.text
    stranger = console(FACILITATOR).post(f"/elections/{ref}/nominate",
                                         {"nominee": "uma.upton@example.org"})
    assert stranger.status == 400 and "is not a member of" in stranger.text


def test_the_page_counts_voters_and_never_shows_who_voted_what(
        console: Console, clerk_app: Clerk, clock: FakeClock) -> None:
    ref = _voting(clerk_app, clock)
    receipts = {}
    for n, email in enumerate(VOTERS):
        outcome = cast_ballot(clerk_app, ref, email, ("Eleanor Evans" if n else "Faisal Fletcher",))
        receipts[email] = outcome.receipt
    page = console(FACILITATOR).get(f"/elections/{ref}")
    assert page.status == 200
    assert "Voting" in page.text and "3 of 19 voters" in page.text
    for email, name in VOTERS.items():
        assert name not in page.text and email not in page.text
        assert receipts[email] not in page.text, "no ballot is shown before the count"
    assert "Close and count now" in page.text

    closed = console(FACILITATOR).post(f"/elections/{ref}/close", {})
    assert closed.status == 200
    assert "The election was closed and counted" in closed.text
    assert "Elected: Eleanor Evans." in closed.text
    assert "Every counted ballot, by its receipt (3)" in closed.text
    assert "Votes counted; elected: Eleanor Evans." in closed.text  # the count, from the ballots
    for email, name in VOTERS.items():
        assert receipts[email] in closed.text
        assert name not in closed.text and email not in closed.text
    # in the order of their receipts, which says nothing of the order they were cast
    shown = re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}", closed.text)
    assert shown == sorted(receipts.values())
    assert "Close and count now" not in closed.text
    assert audit.verify_chain(clerk_app.store.db).ok
    again = console(FACILITATOR).post(f"/elections/{ref}/close", {})
    assert "already closed" in again.text


def test_the_chair_may_look_but_not_add_nominate_or_close(
        console: Console, clerk_app: Clerk, clock: FakeClock) -> None:
    ref = _voting(clerk_app, clock)
    chair = console(CHAIR)
    assert "Add the election" not in chair.get("/bodies/carers/elections").text
    page = chair.get(f"/elections/{ref}")
    assert page.status == 200 and "Close and count now" not in page.text
    assert chair.post(f"/elections/{ref}/close", {}).status == 403
    assert chair.post("/bodies/carers/elections", ADD).status == 403
    assert get_election(clerk_app, ref).status == "voting"


def test_another_bodys_facilitator_is_refused(console: Console, clerk_app: Clerk,
                                              clock: FakeClock) -> None:
    ref = _voting(clerk_app, clock)
    other = console(OTHER_FACILITATOR)
    assert other.get("/bodies/carers/elections").status == 403
    assert other.get(f"/elections/{ref}").status == 403
    assert other.post(f"/elections/{ref}/close", {}).status == 403
    assert other.post(f"/elections/{ref}/nominate", {"nominee": ELEANOR}).status == 403
    assert other.post("/bodies/carers/elections", ADD).status == 403
    assert get_election(clerk_app, ref).status == "voting"
    assert console(FACILITATOR).get("/elections/no-such-election").status == 404


def test_an_stv_count_is_shown_stage_by_stage(console: Console, clerk_app: Clerk,
                                              clock: FakeClock) -> None:
    ref = add_election(clerk_app, "carers", "carer_representative", seats=2,
                       nominations_close=date(2026, 11, 30), voting_close=date(2026, 12, 11),
                       actor=FACILITATOR).ref
    for email in ("carol.chowdhury@example.org", "dev.davies@example.org",
                  "grace.green@example.org"):
        nominate(clerk_app, ref, email, by=FACILITATOR)
        stand(clerk_app, ref, email, True)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    open_voting(clerk_app, ref)
    officers = ["imogen.iqbal@example.org", "jamal.jones@example.org", "kate.khan@example.org",
                "liam.lewis@example.org", "maya.morgan@example.org", "nadia.nash@example.org"]
    for email in officers[:4]:
        cast_ballot(clerk_app, ref, email, ("Carol Chowdhury", "Dev Davies"))
    cast_ballot(clerk_app, ref, officers[4], ("Grace Green",))
    cast_ballot(clerk_app, ref, officers[5], ("Dev Davies",))
    page = console(FACILITATOR).post(f"/elections/{ref}/close", {})
    # 6 ballots, 2 seats: quota 3. Carol 4 is elected; her surplus of 1 passes on at 0.25 a
    # ballot to Dev (2); Grace (1) is excluded; Dev takes the second seat.
    assert "Elected: Carol Chowdhury, Dev Davies." in page.text
    assert "the quota is 3 votes" in page.text
    assert "First preferences counted; elected: Carol Chowdhury." in page.text
    assert "Carol Chowdhury&#39;s surplus transferred at 0.25 a vote." in page.text
    assert "Grace Green excluded and their votes transferred." in page.text
    assert "As many candidates left as seats; elected: Dev Davies." in page.text
    assert "1 Carol Chowdhury, 2 Dev Davies" in page.text
