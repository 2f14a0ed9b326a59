"""Fixtures for the console's browser tests: Debian's Chromium driven by Playwright (sync API).

One Chromium serves the whole tests/browser package (``browser``, package scope: Playwright's
sync API keeps an event loop running in the main thread while it is open, which would stop
``asyncio.run`` in the tests that follow, so it closes when the package is done). Each test gets a
fresh context (``page``, ``phone_page``: no cookie is shared) and its own console
(``console_server``) served, on its own event loop in a thread, over the test's ``clerk_app``
(fake clock, the example configuration and membership), so a test sets data up through clerk's
operations directly and sees it in the browser. ``axe_violations(page)`` runs axe-core (npm,
node_modules/) on the page. Missing Chromium or node_modules: skipped, or failed when CI=true.
Never `playwright install`: scripts/test.sh installs Debian's chromium.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.sync_api import Browser, Page, sync_playwright

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.config import load_config
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.store import open_store
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS
from tests.browser.helpers import mailed_link, sign_in  # noqa: F401  (the tests' helpers, also from here)
from web.app import make_console

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")  # Debian's package
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Chromium looks up Google's hosts (autofill, accounts, updates) even headless: answer none of
# them, but keep loopback, where the console is.
NO_DNS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
TIMEOUT_MS = 5000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _missing(what: str) -> None:
    """Skip the test for lack of ``what``; fail instead when CI=true (as require_dovecot does)."""
    reason = f"{what}: scripts/test.sh installs it (as root)"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the package (Playwright adds --no-sandbox itself, as root)."""
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-liberation libatomic1)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[NO_DNS])
        yield chromium
        chromium.close()


@pytest.fixture
def clerk_app(clock: FakeClock, tmp_path: Path) -> Iterator[Clerk]:
    """clerk on the example configuration and membership, as tests/app_fixtures.py's, but from a
    copy of the configuration in ``tmp_path`` (so its database file, opened for use from any
    thread as the console serves it from its own, and its Maildir are the test's own)."""
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    settings = load_config(config)
    app = Clerk(config=settings, store=open_store(settings.database_path), clock=clock)
    sync_bodies(app)
    report = import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8"))
    assert report.ok, report.errors
    yield app
    app.store.close()


@pytest.fixture
def console_server(clerk_app: Clerk) -> Iterator[str]:
    """The console over ``clerk_app`` on 127.0.0.1 (a free port); its base URL, no trailing /."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    box: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            runner = web.AppRunner(make_console(clerk_app))
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            box["runner"] = runner
        except BaseException as error:  # reported by the fixture in the test's thread
            box["error"] = error
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="console", daemon=True)
    thread.start()
    assert started.wait(10), "the console did not start within 10 s"
    if "error" in box:
        raise box["error"]
    port = box["runner"].addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    assert not thread.is_alive(), "the console did not stop within 10 s"


def _new_page(browser: Browser, base_url: str, **options: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, console_server: str) -> Iterator[Page]:
    """A page in a fresh desktop context (1280x800) whose relative URLs go to the console."""
    yield from _new_page(browser, console_server, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Browser, console_server: str) -> Iterator[Page]:
    """A page in a fresh phone context (390x844, touch) on the console."""
    yield from _new_page(browser, console_server, viewport=PHONE, device_scale_factor=3,
                         is_mobile=True, has_touch=True)


@pytest.fixture
def new_page(browser: Browser, console_server: str) -> Iterator[Callable[[], Page]]:
    """Opens more pages, each in a context of its own (another person signed in), closed after."""
    contexts: list[Any] = []

    def open_page() -> Page:
        context = browser.new_context(base_url=console_server, viewport=DESKTOP)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="package")
def axe_source() -> str:
    """axe-core's script (npm, package-lock.json's version)."""
    if not AXE_JS.is_file():
        _missing(f"no {AXE_JS.relative_to(ROOT)} (run `npm ci`)")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def axe_violations(axe_source: str) -> Callable[[Page], list[tuple[str, str, int]]]:
    """``axe_violations(page)``: axe-core's violations on the page as (rule id, impact, node count)."""

    primed: list[Any] = []

    def run(page: Page) -> list[tuple[str, str, int]]:
        # Neither evaluate nor an init script is bound by the page's CSP (a script tag would be);
        # the init script gives every later page of the context axe at once (about 0.15 s less a page).
        if page.evaluate("() => typeof axe") == "undefined":
            page.evaluate(axe_source)
        if page.context not in primed:
            page.context.add_init_script(axe_source)
            primed.append(page.context)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        found = []
        for violation in result["violations"]:
            nodes = [n for n in violation["nodes"] if not _govuk_known_issue(violation["id"], n)]
            if nodes:
                found.append((violation["id"], violation["impact"], len(nodes)))
        return found

    return run


def _govuk_known_issue(rule: str, node: dict[str, Any]) -> bool:
    """govuk-frontend's conditional reveal puts aria-expanded on its radios and checkboxes, on
    purpose (alphagov/govuk-frontend#979: screen readers announce it, though ARIA does not list
    it for those roles): that finding, and only that one, is not the console's."""
    if rule != "aria-allowed-attr":
        return False
    html = str(node.get("html", ""))
    if not re.match(r'<input class="govuk-(radios|checkboxes)__input[ "]', html):
        return False
    flagged = set(re.findall(r"not allowed: (aria-[a-z]+)=", str(node.get("failureSummary", ""))))
    return flagged == {"aria-expanded"}
