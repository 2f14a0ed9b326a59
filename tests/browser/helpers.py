"""What the browser tests do as a person would: sign in with the link clerk emails; and which
axe findings are govuk-frontend's own known issue rather than the console's."""

from __future__ import annotations

import mailbox
import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from playwright.sync_api import Page, expect

from clerk.app import Clerk
from clerk.composition.commands import send_outbox

FACILITATOR = "facilitator@carers.example.org"  # the Carers Partnership's (config.example.toml)
CHAIR = "alice.ashworth@example.org"  # its Chair (members.example.csv)
#: axe impacts a page must not have
SERIOUS = {"serious", "critical"}


def mailed_link(app: Clerk, email: str) -> str:
    """The path of the sign-in link emailed to ``email``, read from the Maildir as a facilitator
    on a fresh install would: the outbox is sent (with no mail server configured, into the
    Maildir's ``outbox`` folder) and the message found there is taken out, so the next call finds
    the next one."""
    # sent from a thread of its own: sync Playwright holds this thread's event loop
    sender = threading.Thread(target=send_outbox, args=(app,))
    sender.start()
    sender.join(30)
    folder = mailbox.Maildir(app.config.maildir_path / "outbox", factory=None, create=False)
    links: list[str] = []
    for key, raw in list(folder.items()):
        message = message_from_bytes(raw.as_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if email not in str(message["To"]) or "sign in" not in str(message["Subject"]):
            continue
        body = message.get_body(("plain",))
        assert body is not None
        found = re.search(r"https?://[^/\s]+(/sign-in/[A-Za-z0-9_-]+)", str(body.get_content()))
        assert found is not None, "the email has no sign-in link"
        links.append(found.group(1))
        folder.remove(key)
    assert len(links) == 1, f"{len(links)} sign-in emails to {email} in the Maildir"
    return links[0]


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
