"""Signing in to the console: one-time links by email (15 minutes, once), sessions, signing out,
the limits on link requests, CSRF on every form, the security headers, and who sees which body."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.store import audit
from tests.console_fixtures import ConsoleClient

FACILITATOR = "facilitator@carers.example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
LINK = re.compile(r"(/sign-in/[A-Za-z0-9_-]+)")


def sent_link(app: Clerk, email: str) -> str:
    """The sign-in link in the last console email to ``email`` (the path part)."""
    row = app.store.one("SELECT raw FROM outbox WHERE kind = 'console_link' AND to_addr = ? "
                        "ORDER BY id DESC LIMIT 1", [email])
    assert row is not None, f"no sign-in email to {email}"
    text = bytes(row["raw"]).decode("utf-8", "replace").replace("=\r\n", "").replace("=\n", "")
    found = LINK.search(text)
    assert found, text
    return found.group(1)


def ask_for_link(visitor: ConsoleClient, email: str) -> str:
    visitor.get("/sign-in")
    page = visitor.post("/sign-in", {"email": email})
    assert page.status == 200 and "Check your email" in page.text
    return page.text


def test_a_facilitator_signs_in_with_the_emailed_link_once(
        visitor: ConsoleClient, clerk_app: Clerk,
        console_clients: Callable[[], ConsoleClient]) -> None:
    assert visitor.get("/").path == "/sign-in"  # the dashboard needs signing in
    ask_for_link(visitor, "Facilitator@Carers.example.org")
    path = sent_link(clerk_app, FACILITATOR)
    confirm = visitor.get(path)  # opening the link (as a mail scanner would) spends nothing
    assert "Sign in" in confirm.text and clerk_app.store.one(
        "SELECT used_at FROM console_links WHERE used_at IS NOT NULL") is None
    page = visitor.post(path)
    assert page.path == "/" and "Dashboard" in page.text and "Carers Partnership" in page.text
    cookie = next(m for m in visitor.client.session.cookie_jar if m.key == "clerk_session")
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # the same link a second time, from another browser, is refused
    again = console_clients()
    again.get(path)
    refused = again.post(path)
    assert refused.status == 400 and "used already" in refused.text


def test_a_link_expires_after_15_minutes(visitor: ConsoleClient, clerk_app: Clerk,
                                         clock: FakeClock) -> None:
    ask_for_link(visitor, FACILITATOR)
    path = sent_link(clerk_app, FACILITATOR)
    clock.advance(timedelta(minutes=16))
    visitor.get(path)
    page = visitor.post(path)
    assert page.status == 400 and "expired" in page.text
    assert visitor.get("/").path == "/sign-in"


def test_a_stranger_is_told_the_same_and_sent_nothing(visitor: ConsoleClient,
                                                      clerk_app: Clerk) -> None:
    text = ask_for_link(visitor, "stranger@example.org")
    assert "If that address can use the console" in text
    assert clerk_app.store.one("SELECT id FROM outbox WHERE kind = 'console_link'") is None
    # a member who is not an officer may not sign in either
    ask_for_link(visitor, "amira.khan@example.org")
    assert clerk_app.store.one("SELECT id FROM outbox WHERE kind = 'console_link'") is None


def test_link_requests_are_limited_per_address(visitor: ConsoleClient, clerk_app: Clerk) -> None:
    for _ in range(3):
        ask_for_link(visitor, FACILITATOR)
    page = visitor.post("/sign-in", {"email": FACILITATOR})
    assert page.status == 429 and "Too many sign-in links" in page.text
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'console_link'"
                               )["n"] == 3  # type: ignore[index]


def test_a_malformed_address_is_explained(visitor: ConsoleClient) -> None:
    visitor.get("/sign-in")
    page = visitor.post("/sign-in", {"email": "not an address"})
    assert page.status == 400 and "correct format" in page.text and 'value="not an address"' in page.text


def test_every_form_needs_its_csrf_token(console: Callable[[str], ConsoleClient],
                                         visitor: ConsoleClient, clerk_app: Clerk) -> None:
    visitor.get("/sign-in")
    assert visitor.post("/sign-in", {"email": FACILITATOR}, csrf="forged").status == 403
    assert visitor.post("/sign-in", {"email": FACILITATOR}, csrf=None).status == 403
    assert clerk_app.store.one("SELECT id FROM outbox WHERE kind = 'console_link'") is None
    client = console(FACILITATOR)
    assert client.post("/sign-out", csrf="forged").status == 403
    assert client.get("/").path == "/"  # still signed in


def test_signing_out_ends_the_session(console: Callable[[str], ConsoleClient],
                                      clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    cookie = client.cookie("clerk_session")
    assert client.post("/sign-out").path == "/sign-in"
    # the old cookie, replayed, no longer signs anyone in
    client.set_cookie("clerk_session", cookie)
    assert client.get("/").path == "/sign-in"
    actions = [r["action"] for r in clerk_app.store.all("SELECT action FROM audit")]
    assert "console.sign_in" in actions and "console.sign_out" in actions
    assert audit.verify_chain(clerk_app.store.db).ok


def test_a_session_expires(console: Callable[[str], ConsoleClient], clock: FakeClock) -> None:
    client = console(FACILITATOR)
    clock.advance(timedelta(hours=13))
    assert client.get("/").path == "/sign-in"


def test_a_tampered_cookie_signs_nobody_in(console: Callable[[str], ConsoleClient]) -> None:
    client = console(FACILITATOR)
    token, _, signature = client.cookie("clerk_session").partition(".")
    client.set_cookie("clerk_session", f"{token}.{'0' * len(signature)}")
    assert client.get("/").path == "/sign-in"


def test_pages_carry_security_headers(visitor: ConsoleClient) -> None:
    page = visitor.get("/sign-in")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_each_person_sees_only_the_bodies_they_serve(console: Callable[[str], ConsoleClient]
                                                     ) -> None:
    carers = console(FACILITATOR).get("/")
    assert "Worcestershire Carers Partnership" in carers.text
    assert "Joint Commissioning Board" not in carers.text
    jcb = console(OTHER_FACILITATOR).get("/")
    assert "Worcestershire Carers Partnership" not in jcb.text


def test_the_chair_of_a_body_by_office_may_sign_in(console: Callable[[str], ConsoleClient],
                                                   clerk_app: Clerk) -> None:
    chair = clerk_app.store.one("SELECT p.email FROM memberships m JOIN people p ON "
                                "p.id = m.person_id WHERE m.body = 'carers' AND m.office = 'chair'")
    assert chair is not None
    assert "Carers Partnership" in console(chair["email"]).get("/").text


def test_an_unexpected_failure_is_a_page_not_a_traceback(console: Callable[[str], ConsoleClient],
                                                        clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    clerk_app.store.db.execute("DROP TABLE meetings")
    page = client.get("/")
    assert page.status == 500 and "Traceback" not in page.text
    assert "Sorry, there is a problem" in page.text


def test_an_upload_too_large_is_a_page_saying_so(console: Callable[[str], ConsoleClient]
                                                 ) -> None:
    client = console(FACILITATOR)
    page = client.post("/sign-out", files={"paper": ("huge.pdf", b"x" * (51 * 1024 * 1024),
                                                     "application/pdf")})
    assert page.status == 413 and "up to 50 MB" in page.text and "Nothing was changed" in page.text
    assert client.get("/").path == "/"  # still signed in
