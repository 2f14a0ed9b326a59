"""Screenshots of the console for the README, taken only when CLERK_SCREENSHOTS=1 (skipped
otherwise): docs/console/dashboard.png and meeting.png on a desktop, register.png on a phone. The
data is the example configuration's Carers Partnership, set up through clerk's operations:
replies by email, one by phone, a substitute, a paper on the agenda.

    CLERK_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clerk.agenda import AddItem, add_item
from clerk.app import Clerk
from clerk.attendance import RecordReply, invite, record_reply
from clerk.clock import FakeClock
from clerk.meetings import AddMeeting, add_meeting
from clerk.store.files import FileUpload
from clerk.times import parse_local
from mail.ingest import ingest
from tests.app_fixtures import key_of
from tests.browser.helpers import FACILITATOR, sign_in
from tests.reply_mail import reply

OUT = Path(__file__).resolve().parents[2] / "docs" / "console"
ATTENDING = ("alice.ashworth@example.org", "bilal.bennett@example.org",
             "carol.chowdhury@example.org", "imogen.iqbal@example.org", "jamal.jones@example.org",
             "priya.patel@example.org")
APOLOGIES = ("dev.davies@example.org", "owen.obrien@example.org")

pytestmark = pytest.mark.skipif(os.environ.get("CLERK_SCREENSHOTS") != "1",
                                reason="screenshots for the README: set CLERK_SCREENSHOTS=1")


def test_screenshots_for_the_readme(page: Page, phone_page: Page, clerk_app: Clerk,
                                    clock: FakeClock) -> None:
    app = clerk_app
    meeting = add_meeting(app, AddMeeting("carers", parse_local("2027-01-14 10:00", app.tz),
                                          venue="County Hall, Worcester"))
    add_meeting(app, AddMeeting("carers", parse_local("2027-03-11 10:00", app.tz),
                                venue="Worcester Guildhall"))
    invite(app, meeting.ref)
    add_item(app, AddItem(meeting.ref, "Carers' strategy refresh", lead="carol.chowdhury@example.org",
                          papers=(FileUpload("strategy-refresh.pdf", b"%PDF-1.4\n%%EOF\n"),)))
    for email in ATTENDING:
        ingest(app, reply(email, key_of(app, email, meeting.ref), "Yes, I will be there"),
               source="test")
    for email in APOLOGIES:
        ingest(app, reply(email, key_of(app, email, meeting.ref), "No, sorry, I cannot come"),
               source="test")
    record_reply(app, RecordReply(meeting.ref, "kate.khan@example.org", "attend", channel="console",
                                  actor=FACILITATOR))
    clock.set(meeting.starts_at - timedelta(days=10))  # invitations out, papers not yet due

    OUT.mkdir(parents=True, exist_ok=True)
    sign_in(page, app, FACILITATOR)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.screenshot(path=OUT / "dashboard.png")
    page.goto(f"/meetings/{meeting.ref}")
    expect(page.locator("#counts")).to_contain_text("Attending 7")
    page.screenshot(path=OUT / "meeting.png")

    clock.set(meeting.starts_at + timedelta(minutes=5))
    sign_in(phone_page, app, FACILITATOR)
    phone_page.goto(f"/meetings/{meeting.ref}/register")
    for name in ("Alice Ashworth", "Bilal Bennett", "Carol Chowdhury", "Imogen Iqbal"):
        phone_page.get_by_label(name).check()
    expect(phone_page.locator("#quorum-verdict")).to_contain_text("Quorate")
    phone_page.evaluate("() => document.activeElement.blur()")
    phone_page.screenshot(path=OUT / "register.png", full_page=True, scale="css")
