"""The console's election pages pass axe-core with no serious or critical violation (the list
with its form, the form with errors, an election taking nominations, voting, and closed with its
result) and do not scroll sideways on a phone (390 px)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from playwright.sync_api import Page, expect

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.elections import (
    add_election,
    cast_ballot,
    close_election,
    nominate,
    open_voting,
    stand,
)
from tests.browser.helpers import FACILITATOR, SERIOUS, sign_in

Axe = Callable[[Page], list[tuple[str, str, int]]]


def _elections(app: Clerk, clock: FakeClock) -> tuple[str, str, str]:
    """One election taking nominations, one voting and one closed (3 seats, by STV)."""
    nominating = add_election(app, "carers", "carer_representative", seats=2,
                              nominations_close=date(2026, 12, 20),
                              voting_close=date(2027, 1, 10)).ref
    nominate(app, nominating, "harry.hughes@example.org")
    voting = add_election(app, "carers", "vice_chair", nominations_close=date(2026, 11, 30),
                          voting_close=date(2026, 12, 11)).ref
    closed = add_election(app, "carers", "chair", seats=2, nominations_close=date(2026, 11, 30),
                          voting_close=date(2026, 12, 11)).ref
    for ref, people in ((voting, ("eleanor.evans@example.org", "faisal.fletcher@example.org")),
                        (closed, ("carol.chowdhury@example.org", "dev.davies@example.org",
                                  "grace.green@example.org"))):
        for email in people:
            nominate(app, ref, email)
            stand(app, ref, email, True)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    open_voting(app, voting)
    open_voting(app, closed)
    cast_ballot(app, voting, "imogen.iqbal@example.org", ("Eleanor Evans",))
    for email, choice in (("imogen.iqbal@example.org", ("Carol Chowdhury", "Dev Davies")),
                          ("jamal.jones@example.org", ("Grace Green", "Carol Chowdhury")),
                          ("kate.khan@example.org", ("Dev Davies",))):
        cast_ballot(app, closed, email, choice)
    close_election(app, closed)
    return nominating, voting, closed


def test_the_election_pages_pass_axe_and_fit_a_phone(page: Page, phone_page: Page,
                                                     clerk_app: Clerk, clock: FakeClock,
                                                     axe_violations: Axe) -> None:
    refs = _elections(clerk_app, clock)
    paths = ["/bodies/carers/elections", *(f"/elections/{ref}" for ref in refs)]
    sign_in(page, clerk_app, FACILITATOR)
    failures: dict[str, object] = {}
    for path in paths:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        found = [v for v in axe_violations(page) if v[1] in SERIOUS]
        if found:
            failures[path] = found
    page.goto("/bodies/carers/elections")
    page.get_by_role("button", name="Add the election").click()  # nothing filled in
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    found = [v for v in axe_violations(page) if v[1] in SERIOUS]
    if found:
        failures["the form with errors"] = found
    assert failures == {}

    sign_in(phone_page, clerk_app, FACILITATOR)
    wide = {}
    for path in paths:
        phone_page.goto(path)
        width = phone_page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert wide == {}
