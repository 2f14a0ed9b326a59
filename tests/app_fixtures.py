"""Fixtures for driving clerk itself: the example configuration, an in-memory store, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.config import load_config
from clerk.meetings.schedule import Meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.store import open_store

if TYPE_CHECKING:
    from tests.botapi import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config.example.toml"
EXAMPLE_MEMBERS = ROOT / "members.example.csv"


@pytest.fixture
def clock() -> FakeClock:
    """Monday 23 November 2026, 09:00 UTC, until a test moves it."""
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def clerk_app(clock: FakeClock) -> Iterator[Clerk]:
    """clerk on the example configuration with the example membership, in memory."""
    app = Clerk(config=load_config(EXAMPLE_CONFIG), store=open_store(memory=True), clock=clock)
    sync_bodies(app)
    report = import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8"))
    assert report.ok, report.errors
    yield app
    app.store.close()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder holding a copy of the example configuration; the CLI runs from there."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLERK_CONFIG", raising=False)
    return tmp_path


def reply_of(app: Clerk, meeting: Meeting, email: str) -> str:
    """What is on record for ``email``'s invitation to ``meeting``."""
    row = app.store.one("SELECT i.reply FROM invitations i JOIN people p ON p.id = i.person_id "
                        "WHERE i.meeting_id = ? AND p.email = ?", [meeting.id, email])
    return row["reply"] if row else "no invitation"


def link_members(app: Clerk, count: int, first_chat: int) -> None:
    """Add ``count`` Carers Partnership members (member000@example.org, ...), each linked to the
    chat ``first_chat + i``, as if each had used /link."""
    from clerk.times import to_iso

    rows = ["body,name,email,role"] + [f"carers,Member {i:03d},member{i:03d}@example.org,officer"
                                       for i in range(count)]
    assert import_members(app, "\n".join(rows) + "\n").ok
    with app.store.write() as db:
        for i, person in enumerate(db.query("SELECT id FROM people WHERE email LIKE "
                                            "'member%@example.org' ORDER BY email")):
            db.execute("INSERT INTO chat_links (chat_id, person_id, linked_at) VALUES (?, ?, ?)",
                       [first_chat + i, person["id"], to_iso(app.clock.now())])


@pytest.fixture
def meeting(clerk_app: Clerk) -> Meeting:
    """A Carers Partnership meeting, everyone invited (so everyone holds a reply key)."""
    from clerk.attendance.invitations import invite
    from clerk.meetings.schedule import AddMeeting, add_meeting
    from clerk.times import parse_local

    m = add_meeting(clerk_app, AddMeeting(body="carers", venue="County Hall, Worcester",
                                          starts_at=parse_local("2027-01-14 10:00", clerk_app.tz)))
    invite(clerk_app, m.ref)
    return m


def key_of(app: Clerk, email: str, ref: str) -> str:
    """The (first) reply key ``email`` holds for ``ref``."""
    row = app.store.one("SELECT k.key FROM reply_keys k JOIN people p ON p.id = k.person_id "
                        "WHERE p.email = ? AND k.subject_ref = ? ORDER BY k.rowid", [email, ref])
    assert row is not None, f"no key for {email}"
    return str(row["key"])


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """A fake Bot API server on loopback (tests/botapi), stopped after the test."""
    from tests.botapi import FakeBotApi

    with FakeBotApi() as server:
        yield server
