"""The deadline keeper asks the running IMAP reader for a full pass (against a real Dovecot): the
reader's own loop, waiting in IDLE or in its pause, makes the pass and answers; the connection is
never used by two at once, and the loop carries on afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.people.membership import import_members
from mail.imap_reader import ImapReader, InboxUnavailable
from tests.app_fixtures import EXAMPLE_MEMBERS, reply_of
from tests.reply_mail import reply
from tests.servers import Dovecot, SmtpSink
from tests.test_mail_e2e import CAROL, DEV, PASSWORD_ENV, USER, deliver, invited, make_app

pytestmark = pytest.mark.servers


@pytest.fixture
def app(clock: FakeClock, tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Clerk]:
    dovecot.clear(USER)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.user_password(USER))
    clerk = make_app(clock, tmp_path, dovecot, smtp_sink)
    assert import_members(clerk, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    yield clerk
    clerk.store.close()


def key_in(invitation: object) -> str:
    reply_to = str(invitation["Reply-To"])  # type: ignore[index]
    return reply_to.split("+", 1)[1].split("@", 1)[0]


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling"])
def test_a_full_pass_asked_of_the_running_reader_reads_what_is_waiting(
        app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink, idle: bool) -> None:
    meeting, invitations = invited(app, smtp_sink)
    # a long pause and IDLE notices switched off, so only the asked-for pass can read the reply
    reader = ImapReader(app, use_idle=idle, poll_seconds=600, idle_tick=0.2)

    async def scenario() -> None:
        stop = asyncio.Event()
        loop = asyncio.create_task(reader.run(stop))
        for _ in range(250):
            if reader.connections and (reader.idles or not idle):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # the first pass is over: the loop waits
        deliver(dovecot, reply(CAROL, key_in(invitations[CAROL]), "Yes, I'll be there"))
        report = await asyncio.wait_for(reader.read_to_end(), 10)
        assert [r.status for r in report.results] == ["processed"]
        assert reply_of(app, meeting, CAROL) == "attend"
        deliver(dovecot, reply(DEV, key_in(invitations[DEV]), "Sorry, can't make it"))
        again = await asyncio.wait_for(asyncio.gather(reader.read_to_end(), reader.read_to_end()),
                                       10)
        assert again[0] is again[1]  # two asking at once share one pass
        assert reply_of(app, meeting, DEV) == "apologies"
        assert not loop.done() and reader.connections == 1  # the loop's connection carries on
        stop.set()
        await asyncio.wait_for(loop, 5)

    asyncio.run(scenario())


def test_a_pass_asked_for_as_the_reader_stops_is_refused_not_left_waiting(
        app: Clerk, dovecot: Dovecot) -> None:
    reader = ImapReader(app, use_idle=False, poll_seconds=600)

    async def scenario() -> None:
        stop = asyncio.Event()
        loop = asyncio.create_task(reader.run(stop))
        for _ in range(250):
            if reader.connections:
                break
            await asyncio.sleep(0.02)
        stop.set()
        asked = asyncio.create_task(reader.read_to_end())
        await asyncio.wait_for(loop, 5)
        with pytest.raises(InboxUnavailable):
            await asyncio.wait_for(asked, 5)

    asyncio.run(scenario())


def test_clerk_run_reads_a_waiting_reply_before_a_reminder_falls_due_while_it_runs(
        app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The real wiring: serve() with the real workers; the reader's own loop would not look
    at the inbox again for ten minutes, so only the keeper's request can read Carol's reply."""
    import mail.worker
    from clerk.composition.run import serve
    from clerk.store import audit
    from scheduler.keeper import DeadlineKeeper

    class Sleepy(ImapReader):
        def __init__(self, app: Clerk, **kwargs: object) -> None:
            super().__init__(app, use_idle=False, poll_seconds=600, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mail.worker, "ImapReader", Sleepy)
    monkeypatch.setattr("scheduler.keeper.REFRESH_SECONDS", 0.3)
    meeting, invitations = invited(app, smtp_sink)
    first = next(j for j in DeadlineKeeper(app).pending() if j.kind.startswith("reminder-"))

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, stop, grace=1, cancel_grace=1))
        await asyncio.sleep(1.0)  # running: nothing due yet, the reader has made its first pass
        deliver(dovecot, reply(CAROL, key_in(invitations[CAROL]), "Yes, I'll be there"))
        clock.set(first.at + timedelta(minutes=1))  # the reminder falls due
        with app.store.write() as db:  # something is written, so the keeper looks again now
            audit.record(db, at=clock.now(), actor="test", action="test.nudge", subject="")
        for _ in range(250):
            if app.store.one("SELECT 1 AS x FROM job_runs WHERE key = ?", [first.key]):
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert reply_of(app, meeting, CAROL) == "attend"
    reminded = {r["to_addr"] for r in app.store.all("SELECT to_addr FROM outbox "
                                                     "WHERE kind = 'reminder'")}
    assert DEV in reminded and CAROL not in reminded
