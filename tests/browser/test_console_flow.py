"""Issue 15's flow, in a real browser: the Carers Partnership's facilitator signs in with the link
read from the mail clerk sends, adds a meeting and invites the members; a member's emailed reply
shows on the meeting page; the agenda gets an item and a paper, and the Chair, signed in in a
browser of her own, approves it; on the day the facilitator records the register; afterwards the
minutes are uploaded and their approval recorded. Data that arrives from outside (the member's
email) goes in through clerk's own inbox operation, as in tests/test_rsvp_answers.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.meetings import get_meeting
from mail.ingest import ingest
from tests.app_fixtures import key_of, reply_of
from tests.browser.helpers import CHAIR, FACILITATOR, sign_in
from tests.reply_mail import reply

CAROL = "carol.chowdhury@example.org"
PAPER = b"%PDF-1.4\n% the carers' strategy refresh\n%%EOF\n"
MINUTES = b"%PDF-1.4\n% minutes of the meeting of 14 January 2027\n%%EOF\n"


def flash(page: Page) -> str:
    """The 'Done' banner's sentence."""
    return page.locator(".govuk-notification-banner__heading").inner_text()


def test_a_meeting_from_sign_in_to_approved_minutes(
        page: Page, new_page: Callable[[], Page], clerk_app: Clerk, clock: FakeClock) -> None:
    app = clerk_app

    # Sign in with the link from the email; the dashboard lists the facilitator's body.
    sign_in(page, app, FACILITATOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    # Add a meeting (on the body's page, which the dashboard links to).
    page.get_by_role("link", name="Worcestershire Carers Partnership").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worcestershire Carers Partnership")
    ref = add_meeting(page, "14", "1", "2027", "10:00", "County Hall, Worcester")
    meeting_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thursday 14 January 2027")

    # Invite the members: each one's invitation is queued.
    page.get_by_role("button", name="Send the invitations").click()
    expect(page.locator(".govuk-notification-banner")).to_be_visible()
    assert app.store.one("SELECT 1 AS x FROM outbox WHERE kind = 'invitation' AND to_addr = ?",
                         [CAROL]) is not None

    # Carol replies YES by email; the meeting page shows it once reloaded.
    replies = page.locator("#counts")
    expect(replies).to_contain_text("Attending 0")
    ingest(app, reply(CAROL, key_of(app, CAROL, ref), "YES, I will be there", name="Carol Chowdhury"),
           source="test")
    assert reply_of(app, get_meeting(app, ref), CAROL) == "attend"
    page.reload()
    expect(replies).to_contain_text("Attending 1")
    carol_row = page.get_by_role("row").filter(has_text="Carol Chowdhury")
    expect(carol_row).to_contain_text("Attending")

    # The agenda: an item, and its paper uploaded; the draft goes to the Chair.
    page.get_by_role("link", name="Agenda and papers").click()
    page.get_by_label("Title").fill("Carers' strategy refresh")
    page.get_by_role("button", name="Add the item").click()
    expect(page.get_by_role("table")).to_contain_text("Carers' strategy refresh")
    item = page.get_by_label("For item")
    item.select_option(item.locator("option", has_text="Carers' strategy refresh").get_attribute("value"))
    page.get_by_label("Papers", exact=True).set_input_files(
        {"name": "strategy-refresh.pdf", "mimeType": "application/pdf", "buffer": PAPER})
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("link", name="strategy-refresh.pdf")).to_be_visible()
    page.get_by_role("button", name="Send the draft to the Chair").click()
    expect(page.locator(".govuk-notification-banner")).to_be_visible()

    # The Chair signs in in her own browser and approves the agenda.
    chair = new_page()
    sign_in(chair, app, CHAIR)
    chair.goto(f"/meetings/{ref}/agenda")
    chair.get_by_role("button", name=re.compile(r"^Approve this agenda")).click()
    expect(chair.get_by_text("Approved", exact=True).first).to_be_visible()
    page.reload()
    expect(page.locator(".govuk-summary-list")).to_contain_text("approved by Alice Ashworth")

    # On the day (a new session: one lasts 12 hours): the register, three carers present.
    clock.set(get_meeting(app, ref).starts_at + timedelta(minutes=5))
    sign_in(page, app, FACILITATOR)
    page.goto(meeting_url)
    page.get_by_role("link", name="The register on the day").click()
    for name in ("Alice Ashworth", "Bilal Bennett", "Carol Chowdhury"):
        page.get_by_label(name).check()
    page.get_by_role("button", name="Save the register").click()
    assert re.search(r"Register saved: 3 present\. Quorate", flash(page)), flash(page)

    # Afterwards: the draft minutes uploaded and circulated; the next meeting added.
    clock.advance(timedelta(days=2))
    sign_in(page, app, FACILITATOR)
    page.goto(f"{meeting_url}/minutes")
    page.get_by_label("The draft minutes").set_input_files(
        {"name": "minutes-2027-01-14.pdf", "mimeType": "application/pdf", "buffer": MINUTES})
    page.get_by_role("button", name="Upload and circulate").click()
    expect(page.get_by_role("link", name="minutes-2027-01-14.pdf")).to_be_visible()
    next_ref = add_meeting(page, "11", "3", "2027", "10:00")

    # The Carers Partnership approves its minutes at its next meeting: recorded there.
    clock.set(get_meeting(app, next_ref).starts_at + timedelta(minutes=30))
    sign_in(page, app, FACILITATOR)
    page.goto(f"{meeting_url}/minutes")
    page.get_by_role("button", name="Record that version 1 was approved").click()
    approval = page.locator(".govuk-summary-list")
    expect(approval).to_contain_text("Approved")
    expect(approval).to_contain_text("Version 1")
    assert f"approved at {next_ref}" in flash(page)


def add_meeting(page: Page, day: str, month: str, year: str, time: str, venue: str = "") -> str:
    """Add a Carers Partnership meeting on its body's page; the new meeting's reference."""
    page.goto("/bodies/carers")
    page.get_by_label("Day").fill(day)
    page.get_by_label("Month").fill(month)
    page.get_by_label("Year").fill(year)
    page.get_by_label("Start time").fill(time)
    page.get_by_label("Venue (optional)").fill(venue)
    page.get_by_role("button", name="Add the meeting").click()
    expect(page).to_have_url(re.compile(r"/meetings/[^/]+$"))
    assert "Meeting added" in flash(page), flash(page)
    return page.url.rsplit("/", 1)[1]
