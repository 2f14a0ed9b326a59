"""Minutes in the console: the draft uploaded after the meeting (recorded and circulated at
once), every version listed and downloadable, the approval recorded at the next meeting with the
file's hash; another body's facilitator gets 403 throughout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.store.files import sha256_of
from clerk.times import parse_local
from tests.console_fixtures import ConsoleClient

FACILITATOR = "facilitator@carers.example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
DRAFT = b"%PDF-1.7\nminutes of the meeting\n" * 40
AMENDED = DRAFT + b"with the Chair's amendments\n"

Console = Callable[[str], ConsoleClient]


def _next_meeting(app: Clerk) -> Meeting:
    return add_meeting(app, AddMeeting("carers", parse_local("2027-02-04 10:00", app.tz),
                                       venue="County Hall"))


def _fetch(client: ConsoleClient, path: str) -> tuple[int, dict[str, str], bytes]:
    async def go() -> tuple[int, dict[str, str], bytes]:
        async with client.client.get(path) as response:
            return response.status, dict(response.headers), await response.read()

    result: tuple[int, dict[str, str], bytes] = client.loop.run_until_complete(go())
    return result


def test_minutes_wait_for_the_meeting(console: Console, meeting: Meeting) -> None:
    client = console(FACILITATOR)
    page = client.get(f"/meetings/{meeting.ref}/minutes")
    assert page.status == 200 and "Minutes" in page.text
    assert "No minutes are recorded yet" in page.text
    assert "once the meeting has taken place" in page.text and 'type="file"' not in page.text
    page = client.post(f"/meetings/{meeting.ref}/minutes",
                       files=[("minutes", ("Minutes.pdf", DRAFT, "application/pdf"))])
    assert page.status == 400 and "has not taken place yet" in page.text


def test_minutes_are_uploaded_circulated_versioned_and_approved_at_the_next_meeting(
        console: Console, clerk_app: Clerk, clock: FakeClock, meeting: Meeting) -> None:
    nxt = _next_meeting(clerk_app)
    clock.set(datetime(2027, 1, 18, 9, 0, tzinfo=UTC))
    client = console(FACILITATOR)
    page = client.get(f"/meetings/{meeting.ref}/minutes")
    assert "Circulated by" in page.text and nxt.ref in page.text
    page = client.post(f"/meetings/{meeting.ref}/minutes")
    assert page.status == 400 and "Choose the file of the draft minutes." in page.text

    page = client.post(f"/meetings/{meeting.ref}/minutes",
                       files=[("minutes", ("Minutes 14 January.pdf", DRAFT, "application/pdf"))])
    assert page.status == 200 and page.history == (303,)
    assert "Minutes version 1 recorded" in page.text and "Circulated" in page.text
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'minutes'"
                               )["n"] > 10  # type: ignore[index]
    row = clerk_app.store.one("SELECT actor, channel FROM audit WHERE action = 'minutes.add'")
    assert row is not None and (row["actor"], row["channel"]) == (FACILITATOR, "console")

    # approval waits for the next meeting
    page = client.post(f"/meetings/{meeting.ref}/minutes/approve")
    assert page.status == 400 and "approves minutes at its next meeting" in page.text

    page = client.post(f"/meetings/{meeting.ref}/minutes",
                       files=[("minutes", ("Minutes 14 January v2.pdf", AMENDED,
                                           "application/pdf"))])
    assert "Minutes version 2 recorded" in page.text
    assert "Minutes 14 January.pdf" in page.text and "Minutes 14 January v2.pdf" in page.text
    status, headers, body = _fetch(client, f"/meetings/{meeting.ref}/minutes/1")
    assert status == 200 and body == DRAFT and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert _fetch(client, f"/meetings/{meeting.ref}/minutes/2")[2] == AMENDED
    assert _fetch(client, f"/meetings/{meeting.ref}/minutes/3")[0] == 404

    clock.set(datetime(2027, 2, 4, 10, 30, tzinfo=UTC))  # the next meeting has begun
    client.sign_in(FACILITATOR)
    page = client.post(f"/meetings/{meeting.ref}/minutes/approve")
    assert page.status == 200 and f"Minutes version 2 approved at {nxt.ref}" in page.text
    assert sha256_of(AMENDED) in page.text and "Record that version" not in page.text
    row = clerk_app.store.one("SELECT actor, channel FROM audit WHERE action = "
                              "'minutes.approve'")
    assert row is not None and (row["actor"], row["channel"]) == (FACILITATOR, "console")


def test_another_bodys_facilitator_gets_403(console: Console, clerk_app: Clerk,
                                            clock: FakeClock, meeting: Meeting) -> None:
    _next_meeting(clerk_app)
    clock.set(datetime(2027, 1, 18, 9, 0, tzinfo=UTC))
    console(FACILITATOR).post(f"/meetings/{meeting.ref}/minutes", files=[
        ("minutes", ("Minutes.pdf", DRAFT, "application/pdf"))])
    other = console(OTHER_FACILITATOR)
    before = clerk_app.store.one("SELECT COUNT(*) AS n FROM audit")["n"]  # type: ignore[index]
    for path in (f"/meetings/{meeting.ref}/minutes", f"/meetings/{meeting.ref}/minutes/1"):
        page = other.get(path)
        assert page.status == 403 and "Minutes.pdf" not in page.text
    other.get("/")
    page = other.post(f"/meetings/{meeting.ref}/minutes",
                      files=[("minutes", ("Forged.pdf", AMENDED, "application/pdf"))])
    assert page.status == 403
    assert other.post(f"/meetings/{meeting.ref}/minutes/approve").status == 403
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM audit")["n"] == before  # type: ignore[index]
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM minutes")["n"] == 1  # type: ignore[index]
