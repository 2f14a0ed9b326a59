"""What the browser tests do as a person would: sign in with the link clerk emails; and which
axe findings are govuk-frontend's own known issue rather than the console's."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

from playwright.sync_api import Page, expect

from clerk.app import Clerk

FACILITATOR = "facilitator@carers.example.org"  # the Carers Partnership's (config.example.toml)
CHAIR = "alice.ashworth@example.org"  # its Chair (members.example.csv)
#: axe impacts a page must not have
SERIOUS = {"serious", "critical"}


def mailed_link(app: Clerk, email: str) -> str:
    """The path of the last sign-in link emailed to ``email``, read from the mail clerk queued
    (the outbox holds each message as it will be sent)."""
    row = app.store.one("SELECT raw FROM outbox WHERE kind = 'console_link' AND to_addr = ? "
                        "ORDER BY id DESC", [email])
    assert row is not None, f"no sign-in link was emailed to {email}"
    message = message_from_bytes(bytes(row["raw"]), policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"https?://[^/\s]+(/sign-in/[A-Za-z0-9_-]+)", str(body.get_content()))
    assert found is not None, "the email has no sign-in link"
    return found.group(1)


def sign_in(page: Page, app: Clerk, email: str) -> None:
    """Sign in as a person would: ask for a link on the sign-in page, open the emailed link,
    press Sign in; the dashboard follows."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your email")
    page.goto(mailed_link(app, email))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
