"""One retry policy for both outboxes: an email and a chat message that keep failing are tried
again after the waits in their policy's table, and given up where the table ends."""

from __future__ import annotations

from datetime import timedelta

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.outbox import chat, delivery
from clerk.outbox.chat_text import ChatReply
from clerk.outbox.mail import Outgoing, queue
from clerk.rules import retry
from clerk.times import from_iso


def _no_mirrored(app: Clerk, copy: chat.MirroredCopy) -> ChatReply | None:
    raise AssertionError("only a rendered message is queued here")


def _email_waits(app: Clerk, clock: FakeClock) -> tuple[list[timedelta], int]:
    """Queue one email and fail every try (a 4xx from the server): the waits between tries, and
    how many tries were made before it was given up."""
    with app.store.write() as db:
        queue(db, app.config.mail, Outgoing(kind="note", to_addr="ann@example.org",
                                            subject="Hello", text="Hello."), clock.now())
    waits: list[timedelta] = []
    tries = 0
    while True:
        claim = delivery.claim_next(app)
        assert claim is not None, f"the email was not due after {tries} tries"
        tries += 1
        if delivery.mark_retry(app, claim.id, "451 try again later") == "failed":
            return waits, tries
        row = app.store.one("SELECT next_attempt_at FROM outbox WHERE id = ?", [claim.id])
        assert row is not None
        due = from_iso(row["next_attempt_at"])
        waits.append(due - clock.now())
        clock.set(due)


def _chat_waits(app: Clerk, clock: FakeClock) -> tuple[list[timedelta], int]:
    """The same for a chat message whose every send fails (Telegram unreachable)."""
    with app.store.write() as db:
        chat.queue_chat(db, chat_id=42, kind="reply", reply=ChatReply("Hello."), now=clock.now())
    waits: list[timedelta] = []
    tries = 0
    while True:
        claimed = chat.claim_due(app, _no_mirrored)
        assert len(claimed) == 1, f"the chat message was not due after {tries} tries"
        tries += 1
        if chat.mark_retry(app, claimed[0].id, "NetworkError: unreachable") == "failed":
            return waits, tries
        row = app.store.one("SELECT next_attempt_at FROM chat_outbox WHERE id = ?",
                            [claimed[0].id])
        assert row is not None
        due = from_iso(row["next_attempt_at"])
        waits.append(due - clock.now())
        clock.set(due)


def test_both_outboxes_back_off_by_their_policys_table(clerk_app: Clerk, clock: FakeClock) -> None:
    email_waits, email_tries = _email_waits(clerk_app, clock)
    assert email_waits == retry.MAIL.table()
    assert email_tries == len(retry.MAIL.table()) + 1
    # the mail policy's table: 1, 2, 4 ... minutes, capped at an hour, given up after a day
    assert email_waits[:7] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]
    assert sum(email_waits, timedelta()) >= timedelta(hours=24) > sum(email_waits[:-1], timedelta())
    assert clerk_app.store.one("SELECT status, last_error FROM outbox") == {
        "status": "failed", "last_error": f"not delivered after {email_tries} tries over 24 hours; "
                                          "last error: 451 try again later"}

    chat_waits, chat_tries = _chat_waits(clerk_app, clock)
    assert chat_waits == retry.CHAT.table() == [timedelta(seconds=30)] * 4
    assert chat_tries == 5
    assert clerk_app.store.one("SELECT status, attempts FROM chat_outbox") == {
        "status": "failed", "attempts": 5}


def test_a_wait_the_chat_service_asks_for_replaces_the_policys(clerk_app: Clerk,
                                                              clock: FakeClock) -> None:
    with clerk_app.store.write() as db:
        chat.queue_chat(db, chat_id=42, kind="reply", reply=ChatReply("Hello."), now=clock.now())
    [message] = chat.claim_due(clerk_app, _no_mirrored)
    assert chat.mark_retry(clerk_app, message.id, "flood limit", timedelta(seconds=7)) == "queued"
    row = clerk_app.store.one("SELECT next_attempt_at FROM chat_outbox")
    assert row is not None and from_iso(row["next_attempt_at"]) - clock.now() == timedelta(seconds=7)


def test_one_policy_the_same_rule_with_other_figures() -> None:
    assert isinstance(retry.MAIL, retry.RetryPolicy) and isinstance(retry.CHAT, retry.RetryPolicy)
    same = retry.RetryPolicy(first=timedelta(seconds=30), longest=timedelta(seconds=30),
                             max_attempts=5)
    assert same.table() == retry.CHAT.table()
    doubling = retry.RetryPolicy(first=timedelta(seconds=10), longest=timedelta(seconds=50),
                                 max_attempts=6)
    assert doubling.table() == [timedelta(seconds=s) for s in (10, 20, 40, 50, 50)]
