"""Helpers for the papers tests: clerk on the example configuration sending to the SMTP sink (and
reading from Dovecot), papers made up on the spot, and replies as a mail client writes them."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest

import clerk.app
from clerk.agenda.items import Agenda, read_agenda
from clerk.app import Clerk, open_clerk
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting, get_meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.store import open_store
from clerk.store.files import FileUpload
from clerk.times import parse_local
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS
from tests.servers import SmtpSink

IMAP_PASSWORD_ENV = "CLERK_TEST_IMAP_PASSWORD"
CHAIR = "alice.ashworth@example.org"
VICE_CHAIR = "bilal.bennett@example.org"
MEMBER = "carol.chowdhury@example.org"
FACILITATOR = "facilitator@carers.example.org"


def make_app(clock: FakeClock, tmp_path: Path, *, smtp: SmtpSink | None = None,
             imap_port: int | None = None, carers: dict[str, Any] | None = None,
             database: Path | None = None, carers_body: dict[str, Any] | None = None) -> Clerk:
    """clerk on the example configuration and members; ``carers`` overrides the Carers
    Partnership's ``papers`` settings, ``carers_body`` its other keys (``chair_email``)."""
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["mail"]["maildir"] = str(tmp_path / "mail")
    if smtp is not None:
        data["mail"]["smtp"] = {"host": smtp.host, "port": smtp.port, "starttls": False,
                                "timeout_seconds": 10}
    if imap_port is not None:
        data["mail"]["imap"] = {"host": "127.0.0.1", "port": imap_port, "ssl": False,
                                "username": "clerk", "password_env": IMAP_PASSWORD_ENV,
                                "timeout_seconds": 10}
    if carers:
        data["bodies"]["carers"]["papers"] = {**data["bodies"]["carers"]["papers"], **carers}
    data["bodies"]["carers"].update(carers_body or {})
    store = open_store(database) if database else open_store(memory=True)
    app = Clerk(config=parse_config(data, EXAMPLE_CONFIG), store=store, clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    return app


def cli_clerk(workdir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Clerk:
    """clerk on the work folder's configuration (the ``workdir`` fixture) and the example
    members, with the test's clock for the CLI too (``clerk.cli.main`` in the same process)."""
    real = clerk.app.open_clerk

    def with_clock(path: Path | str, **kwargs: Any) -> Clerk:
        return real(path, **{**kwargs, "clock": clock})

    monkeypatch.setattr(clerk.app, "open_clerk", with_clock)
    app = open_clerk(workdir / "config.toml", clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    return app


def carers_emails() -> list[str]:
    lines = EXAMPLE_MEMBERS.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",")[2] for line in lines if line.startswith("carers,")]


def carers_meeting(app: Clerk, when: str = "2027-01-14 10:00") -> Meeting:
    """Thursday 14 January 2027: 7 working days' notice makes the papers due Tuesday 5 January."""
    return add_meeting(app, AddMeeting(body="carers", starts_at=parse_local(when, app.tz),
                                       venue="County Hall, Worcester"))


def agenda_now(app: Clerk, ref: str) -> Agenda:
    """The agenda of meeting ``ref`` as it reads now (outside any transaction)."""
    return read_agenda(app, app.store.db, get_meeting(app, ref))


def pdf(name: str, size: int, seed: int = 1) -> FileUpload:
    """A made-up paper of about ``size`` bytes (not compressible, like a real PDF)."""
    import random

    rng = random.Random(seed)
    return FileUpload(name, b"%PDF-1.7\n" + rng.randbytes(size - 9))


def at(app: Clerk, when: str) -> datetime:
    return parse_local(when, app.tz).astimezone(UTC)


def per_recipient(sink: SmtpSink, subject_part: str = "") -> Counter[str]:
    return Counter(r.lower() for m in sink.received for r in m.rcpt_tos
                   if subject_part in str(m.parsed()["Subject"]))


def reply(to: EmailMessage, from_addr: str, text: str, clock: FakeClock) -> bytes:
    """A reply as a mail client sends it: In-Reply-To, References, the original quoted."""
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = str(to["Reply-To"])
    msg["Subject"] = f"Re: {to['Subject']}"
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg["In-Reply-To"] = str(to["Message-ID"])
    msg["References"] = str(to["Message-ID"])
    quoted = "\n".join(f"> {line}" for line in _text(to).splitlines()[:5])
    msg.set_content(f"{text}\n\nOn Monday, the clerk wrote:\n{quoted}\n")
    return msg.as_bytes()


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    return str(body.get_content()) if body is not None else ""


def parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def text_of(msg: EmailMessage) -> str:
    return _text(msg)


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    out = {}
    for part in msg.iter_attachments():
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        out[str(part.get_filename())] = content
    return out
