"""The privacy notice: on the published site (``privacy.html``, linked from every page's footer)
and in the console (``/privacy``, open without signing in, linked from its footer), saying what
is held, why, for how long and whom to ask, with the figures from the configuration."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.errors import ConfigError
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.records.publish import publish_site
from clerk.store import open_store
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS
from tests.console_fixtures import ConsoleClient

CONTACT = "data.protection@council.example.org"
FACILITATOR = "cypsp.admin@wcf.example.org"


def _data(**clerk: Any) -> dict[str, Any]:
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["retention"] = {"raw_mail_days": 45, "former_members_years": 3}
    data["clerk"].update(clerk)
    data["bodies"]["carers"]["observers"]["keep_personal_data_days"] = 14
    return data


@pytest.fixture
def clerk_app(clock: FakeClock) -> Iterator[Clerk]:
    """clerk with retention set to 45 days and 3 years, the Carers Partnership keeping its
    observers 14 days, and a privacy contact (the console's fixtures use this app)."""
    app = Clerk(config=parse_config(_data(privacy_contact=CONTACT), EXAMPLE_CONFIG),
                store=open_store(memory=True), clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    yield app
    app.store.close()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_site_has_a_privacy_notice_filled_from_the_configuration(
        clerk_app: Clerk, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_site(clerk_app, out)
    text = _text((out / "privacy.html").read_text(encoding="utf-8"))
    assert "Emails received are kept in full for 45 days" in text
    assert "kept for 3 years after their last membership ended, then replaced by a pseudonym" \
        in text
    assert "Worcestershire Carers Partnership: observers' names and contact details are erased " \
           "14 days after the meeting" in text
    assert "subject access request, answered within one month" in text
    assert f"Write to {CONTACT}" in text
    assert "Worcestershire Carers Partnership" in text.split("facilitator of your partnership")[1]
    assert FACILITATOR not in text, "the public site shows no facilitator's address"
    assert "What is held" in text and "Why it is held" in text


def test_every_page_of_the_site_links_to_the_notice(clerk_app: Clerk, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_site(clerk_app, out)
    pages = list(out.rglob("*.html"))
    assert len(pages) > 2
    for page in pages:
        depth = len(page.relative_to(out).parts) - 1
        href = "../" * depth + "privacy.html"
        assert f'<a href="{href}">Privacy notice</a>' in page.read_text(encoding="utf-8"), page
        assert (page.parent / href).resolve() == (out / "privacy.html").resolve()


def test_without_a_privacy_contact_people_ask_their_facilitator(
        clock: FakeClock, tmp_path: Path) -> None:
    app = Clerk(config=parse_config(_data(), EXAMPLE_CONFIG), store=open_store(memory=True),
                clock=clock)
    sync_bodies(app)
    publish_site(app, tmp_path)
    text = _text((tmp_path / "privacy.html").read_text(encoding="utf-8"))
    assert "Ask the facilitator of your partnership" in text and "@" not in text


def test_a_privacy_contact_must_be_an_address() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_data(privacy_contact="the data protection officer"))
    assert any("clerk.privacy_contact must be an email address" in p
               for p in caught.value.problems), caught.value.problems


def test_the_console_shows_the_notice_without_signing_in_with_the_facilitators(
        visitor: ConsoleClient) -> None:
    page = visitor.get("/privacy")
    assert page.status == 200 and page.path == "/privacy"
    text = _text(page.text)
    assert "Emails received are kept in full for 45 days" in text
    assert "kept for 3 years" in text and CONTACT in text
    assert FACILITATOR in text, "the console lists each facilitator's address"
    assert 'class="govuk-heading-l"' in page.text


def test_every_console_page_links_to_the_notice(visitor: ConsoleClient,
                                                console: Any) -> None:
    assert 'href="/privacy"' in visitor.get("/sign-in").text
    assert 'href="/privacy"' in console("facilitator@carers.example.org").get("/").text
