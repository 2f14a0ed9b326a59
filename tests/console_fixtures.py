"""Fixtures for the console's tests over aiohttp's test server: a client signed in as a chosen
person (``console``), or nobody (``visitor``), driven synchronously from the test.

    def test_x(console, meeting):
        page = console("facilitator@carers.example.org").get(f"/meetings/{meeting.ref}")
        assert page.status == 200 and "Attending" in page.text
        page = console("facilitator@carers.example.org").post("/some/form", {"field": "value"})

``post`` adds the session's CSRF token (pass ``csrf=None`` to leave it out, or a value to send
that instead) and follows the 303 to the page it leads to; ``files`` uploads
``{"field": ("name.pdf", b"...", "application/pdf")}`` (several with a list of tuples)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDictProxy

from clerk.access import print_link
from clerk.app import Clerk
from web.app import make_console

CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf" value="([^"]*)">')
UNSET: Any = object()


@dataclass
class Page:
    """A response as the test sees it: status, the final path (after redirects), headers and
    the HTML."""

    status: int
    path: str
    headers: CIMultiDictProxy[str]
    text: str
    history: tuple[int, ...] = ()

    @property
    def csrf(self) -> str:
        found = CSRF_FIELD.search(self.text)
        return found.group(1) if found else ""


FileSpec = tuple[str, bytes, str]


@dataclass
class ConsoleClient:
    """A browser-like client (it keeps cookies) on the console of one clerk app."""

    app: Clerk
    loop: asyncio.AbstractEventLoop
    client: TestClient[Any, Any]
    csrf: str = ""
    email: str = ""
    pages: list[Page] = field(default_factory=list)

    def _run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _page(self, response: Any) -> Page:
        text = await response.text()
        return Page(response.status, response.url.path, response.headers, text,
                    tuple(r.status for r in response.history))

    def get(self, path: str, *, follow: bool = True) -> Page:
        async def go() -> Page:
            async with self.client.get(path, allow_redirects=follow) as response:
                return await self._page(response)

        page: Page = self._run(go())
        if page.csrf:
            self.csrf = page.csrf
        self.pages.append(page)
        return page

    def post(self, path: str, data: Mapping[str, str] | Sequence[tuple[str, str]] = (), *,
             files: Mapping[str, FileSpec] | Sequence[tuple[str, FileSpec]] = (),
             csrf: str | None = UNSET, follow: bool = True) -> Page:
        form = FormData()
        pairs = list(data.items()) if isinstance(data, Mapping) else list(data)
        token = self.csrf if csrf is UNSET else csrf
        if token is not None:
            form.add_field("csrf", token)
        for name, value in pairs:
            form.add_field(name, value)
        uploads = list(files.items()) if isinstance(files, Mapping) else list(files)
        for name, (filename, content, content_type) in uploads:
            form.add_field(name, content, filename=filename, content_type=content_type)

        async def go() -> Page:
            async with self.client.post(path, data=form, allow_redirects=follow) as response:
                return await self._page(response)

        page: Page = self._run(go())
        if page.csrf:
            self.csrf = page.csrf
        self.pages.append(page)
        return page

    def cookie(self, name: str) -> str:
        for morsel in self.client.session.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return ""

    def set_cookie(self, name: str, value: str) -> None:
        """Replace a cookie, as someone editing their browser's cookies would."""
        jar = self.client.session.cookie_jar
        jar.clear(lambda morsel: morsel.key == name)
        jar.update_cookies({name: value}, self.client.make_url("/"))

    def sign_in(self, email: str) -> Page:
        """Sign in as ``email`` with a printed one-time link, as ``clerk console link`` gives."""
        link = print_link(self.app, email)
        path = link[link.index("/sign-in/"):]
        self.get(path)
        page = self.post(path)
        assert page.path == "/", f"{email} could not sign in: {page.status} {page.path}"
        self.email = email
        return page


@pytest.fixture
def console_clients(clerk_app: Clerk) -> Iterator[Callable[[], ConsoleClient]]:
    """Make clients (each its own cookies) on one console over ``clerk_app``."""
    loop = asyncio.new_event_loop()
    server = TestServer(make_console(clerk_app))
    made: list[ConsoleClient] = []

    async def started() -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = TestClient(server)  # (it needs a running loop)
        await client.start_server()
        return client

    def make() -> ConsoleClient:
        client = loop.run_until_complete(started())
        found = ConsoleClient(clerk_app, loop, client)
        made.append(found)
        return found

    yield make
    for c in made:
        loop.run_until_complete(c.client.close())
    loop.run_until_complete(server.close())
    loop.close()


@pytest.fixture
def console(console_clients: Callable[[], ConsoleClient]) -> Callable[[str], ConsoleClient]:
    """``console(email)``: a client signed in as ``email`` (one per address, made once)."""
    signed: dict[str, ConsoleClient] = {}

    def as_(email: str) -> ConsoleClient:
        if email not in signed:
            client = console_clients()
            client.sign_in(email)
            signed[email] = client
        return signed[email]

    return as_


@pytest.fixture
def visitor(console_clients: Callable[[], ConsoleClient]) -> ConsoleClient:
    """A client that has not signed in."""
    return console_clients()
