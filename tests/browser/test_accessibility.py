"""Every console page passes axe-core with no serious or critical violation (signed out, as the
facilitator, and the pages a form leads to: an error summary, the CSV preview), and the check
itself can fail; the register works by keyboard alone; on a phone (390 px) no page scrolls
sideways. The data is set up through clerk's own operations, as the CLI and the mail would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from clerk.actions import AddAction, add_action
from clerk.agenda import AddItem, AddMinutes, add_item, add_minutes
from clerk.app import Clerk
from clerk.attendance import RecordAttendance, invite, record_attendance
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.ballots.ratification import CastVote, cast_vote, open_ballot
from clerk.clock import FakeClock
from clerk.meetings import AddMeeting, add_meeting, get_meeting
from clerk.observers.questions import AskQuestion, ask_question
from clerk.store.files import FileUpload
from clerk.times import parse_local
from mail.ingest import ingest
from tests.app_fixtures import key_of
from tests.browser.helpers import FACILITATOR, SERIOUS, sign_in
from tests.reply_mail import reply

Axe = Callable[[Page], list[tuple[str, str, int]]]
CAROL = "carol.chowdhury@example.org"
PDF = b"%PDF-1.4\n% a paper\n%%EOF\n"
MEMBERS_CSV = ("body,name,email,role\ncarers,Carol Chowdhury,carol.chowdhury@example.org,carer\n"
               "carers,Nia Newcomer,nia.newcomer@example.org,carer\n")


@dataclass(frozen=True)
class World:
    past: str  # a meeting held (register, minutes, a vote, an observer's question)
    coming: str  # a meeting ahead (move, cancel)
    item: int
    vote: str
    inbound: int
    carol: int


def serious(found: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    return [v for v in found if v[1] in SERIOUS]


def person_id(app: Clerk, email: str) -> int:
    row = app.store.one("SELECT id FROM people WHERE email = ?", [email])
    assert row is not None
    return int(row["id"])


@pytest.fixture
def world(clerk_app: Clerk, clock: FakeClock) -> World:
    app = clerk_app
    past = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                       venue="County Hall, Worcester"))
    coming = add_meeting(app, AddMeeting("carers", parse_local("2027-03-11 10:00", app.tz),
                                         venue="County Hall, Worcester"))
    invite(app, past.ref)
    item = add_item(app, AddItem(past.ref, "Carers' strategy refresh", lead=CAROL,
                                 papers=(FileUpload("strategy.pdf", PDF),)))
    assert item.id is not None
    ingest(app, reply(CAROL, key_of(app, CAROL, past.ref), "YES"), source="test")
    inbound = ingest(app, reply("carol.at.home@example.net", key_of(app, CAROL, past.ref),
                                "Yes I will attend"), source="test").inbound_id
    assert inbound is not None
    ask_question(app, AskQuestion(past.ref, 77, "Olive Observer", "Will carers' breaks be discussed?"))
    clock.set(past.starts_at + timedelta(hours=2))
    record_attendance(app, RecordAttendance(past.ref, (CAROL, "alice.ashworth@example.org")))
    add_decision(app, AddDecision(past.ref, "Adopt the 2027 carers action plan"))
    ballot = open_ballot(app, past.ref)
    cast_vote(app, CastVote(ballot.ref, "dev.davies@example.org", {1: "approve"}))
    add_minutes(app, AddMinutes(past.ref, FileUpload("minutes.pdf", PDF)))
    add_action(app, AddAction(past.ref, "Circulate the carers survey", CAROL,
                              due=past.starts_at.date() - timedelta(days=1)))  # overdue
    add_action(app, AddAction(past.ref, "Write to the hospital trust", "Jane Smith"))
    return World(past.ref, coming.ref, item.id, ballot.ref, inbound, person_id(app, CAROL))


def facilitator_pages(w: World) -> list[str]:
    return ["/", "/bodies/carers", f"/meetings/{w.coming}", f"/meetings/{w.coming}/move",
            f"/meetings/{w.coming}/cancel", f"/meetings/{w.past}", f"/meetings/{w.past}/register",
            f"/meetings/{w.past}/agenda", f"/meetings/{w.past}/agenda/items/{w.item}",
            f"/meetings/{w.past}/minutes", f"/meetings/{w.past}/observers",
            f"/meetings/{w.past}/actions", "/bodies/carers/actions", "/bodies/carers/members",
            f"/bodies/carers/members/{w.carol}",
            "/bodies/carers/members/import", "/bodies/carers/plan", f"/votes/{w.vote}",
            f"/votes/{w.vote}/verify", "/inbox", f"/inbox/{w.inbound}", "/audit", "/audit/verify",
            "/no-such-page"]


def check(page: Page, axe: Axe, where: str, failures: dict[str, object]) -> None:
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    found = serious(axe(page))
    if found:
        failures[where] = found


def test_the_signed_out_pages_pass_axe(page: Page, clerk_app: Clerk, axe_violations: Axe) -> None:
    failures: dict[str, object] = {}
    page.goto("/sign-in")
    check(page, axe_violations, "sign-in", failures)
    page.get_by_role("button", name="Email me a sign-in link").click()  # no address: an error
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check(page, axe_violations, "sign-in with an error", failures)
    page.get_by_label("Email address").fill(FACILITATOR)
    page.get_by_role("button", name="Email me a sign-in link").click()
    check(page, axe_violations, "link sent", failures)
    page.goto("/sign-in/not-a-real-token")
    check(page, axe_violations, "sign-in confirmation", failures)
    page.get_by_role("button", name="Sign in").click()
    check(page, axe_violations, "link refused", failures)
    assert failures == {}


def test_every_facilitator_page_passes_axe(page: Page, clerk_app: Clerk, world: World,
                                           axe_violations: Axe) -> None:
    missing: list[str] = []  # a stylesheet, script or image the pages ask for and do not get
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 and "/static/" in r.url
            else None)
    sign_in(page, clerk_app, FACILITATOR)
    failures: dict[str, object] = {}
    for path in facilitator_pages(world):
        response = page.goto(path)
        assert response is not None
        if response.status != (404 if path == "/no-such-page" else 200):
            failures[path] = f"status {response.status}"
        check(page, axe_violations, path, failures)
    # The pages a form leads to: an error summary, and the CSV import's preview.
    page.goto("/bodies/carers")
    page.get_by_role("button", name="Add the meeting").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check(page, axe_violations, "add a meeting, with errors", failures)
    page.goto("/bodies/carers/members/import")
    page.get_by_label("Membership file").set_input_files(
        {"name": "members.csv", "mimeType": "text/csv", "buffer": MEMBERS_CSV.encode()})
    page.get_by_role("button", name="Check what will change").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check the import")
    check(page, axe_violations, "CSV preview", failures)
    assert failures == {}
    assert missing == []


def test_the_check_can_fail(page: Page, clerk_app: Clerk, axe_violations: Axe) -> None:
    """A page made bad on purpose: the sign-in field loses its label and the page its language."""
    page.goto("/sign-in")
    assert serious(axe_violations(page)) == []
    page.evaluate("() => { document.querySelector('label[for=email]').remove();"
                  " document.documentElement.removeAttribute('lang'); }")
    assert {"label", "html-has-lang"} <= {rule for rule, _, _ in serious(axe_violations(page))}


def test_the_register_by_keyboard_alone(page: Page, clerk_app: Clerk, clock: FakeClock) -> None:
    app = clerk_app
    meeting = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz)))
    clock.set(get_meeting(app, meeting.ref).starts_at + timedelta(minutes=5))
    sign_in(page, app, FACILITATOR)
    page.goto(f"/meetings/{meeting.ref}/register")
    verdict = page.locator("#quorum-verdict")

    def tab_to(selector: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    for email in ("alice.ashworth@example.org", "bilal.bennett@example.org", CAROL):
        tab_to(f"#present-{person_id(app, email)}")
        page.keyboard.press("Space")
        expect(page.locator(f"#present-{person_id(app, email)}")).to_be_checked()
    expect(verdict).to_contain_text("Quorate")  # register.js asked the console as boxes were ticked
    expect(verdict).to_contain_text("Not saved yet")
    tab_to("button[value=save]")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Register saved: 3 present")
    expect(verdict).to_contain_text("Saved register: Quorate")


def test_on_a_phone_no_page_scrolls_sideways(phone_page: Page, clerk_app: Clerk,
                                              world: World) -> None:
    sign_in(phone_page, clerk_app, FACILITATOR)
    wide = {}
    for path in ("/", "/bodies/carers", f"/meetings/{world.past}", f"/meetings/{world.past}/register",
                 f"/meetings/{world.past}/agenda", f"/meetings/{world.past}/minutes",
                 f"/meetings/{world.past}/actions", "/bodies/carers/actions",
                 "/bodies/carers/members", f"/bodies/carers/members/{world.carol}"):
        phone_page.goto(path)
        width = phone_page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert wide == {}
