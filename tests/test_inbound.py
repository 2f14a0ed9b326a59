"""Replies by email, through the one ingest path: what is recorded, refused or ignored, and what
is written back. No servers here (see test_mail_e2e.py): the store is in memory, the clock fake."""

from __future__ import annotations

import asyncio
import json
import mailbox
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, get_args

import pytest

from clerk.agenda.items import AddItem, add_item, send_draft
from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.attendance.quorum import forecast
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.errors import Refused
from clerk.mail_in import inbox
from clerk.mail_in.inbox import KEY_REFUSALS
from clerk.mail_in.message import Decision, InboundOutcome, Refusal, VerifiedReply
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.rules.messages.sender_auth import judge_sender, parse_header
from clerk.store.schema import m008_agenda_drafts_sent
from clerk.times import parse_local
from clerk.tokens.reply_keys import KEY_CHECK_REASONS, KeyCheckCode, KeyProblem, issue_key
from mail.ingest import ingest
from tests.app_fixtures import key_of, reply_of
from tests.papers_helpers import CHAIR, agenda_now, carers_meeting, make_app
from tests.reply_mail import bounce, out_of_office, reply
from tests.test_bounces import sent_id

CAROL = "carol.chowdhury@example.org"
DEV = "dev.davies@example.org"
JANE = "jane.smith@example.org"


# ----------------------------------------------------------------------------- helpers




def read(app: Clerk, raw: bytes, **kwargs: Any) -> InboundOutcome:
    return ingest(app, raw, source="test", **kwargs)



def answers(app: Clerk, to: str | None = None, kind: str | None = None) -> list[EmailMessage]:
    """The answers queued (confirmations, asks-again, refusals, substitute invitations)."""
    sql = "SELECT raw FROM outbox WHERE kind != 'invitation'"
    params: list[Any] = []
    if to:
        sql += " AND to_addr = ?"
        params.append(to)
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    found = []
    for row in app.store.all(sql + " ORDER BY id", params):
        msg = message_from_bytes(bytes(row["raw"]), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def html_of(msg: EmailMessage) -> str:
    body = msg.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def audit_rows(app: Clerk, action: str) -> list[dict[str, Any]]:
    return app.store.all("SELECT * FROM audit WHERE action = ? ORDER BY id", [action])


# ----------------------------------------------------------------------------- recorded


def test_an_answer_is_recorded_with_its_evidence_and_confirmed(clerk_app: Clerk,
                                                               meeting: Meeting) -> None:
    key = key_of(clerk_app, CAROL, meeting.ref)
    raw = reply(CAROL, key, "Yes, I'll be there.", name="Carol Chowdhury",
                message_id="<yes-1@mail.example.org>")

    result = read(clerk_app, raw)

    assert (result.status, result.meeting) == ("processed", meeting.ref)
    assert result.understood == 'will attend ("I\'ll be there")'
    assert result.summary == (f"reply from {CAROL} recorded: attending for Carers Partnership, "
                              "Thursday 14 January 2027 at 10:00; confirmation queued")
    assert reply_of(clerk_app, meeting, CAROL) == "attend"
    [event] = audit_rows(clerk_app, "reply.recorded")
    assert json.loads(event["evidence"]) == {
        "message_id": "yes-1@mail.example.org", "reply_key": key, "from": CAROL,
        "received_at": "2026-11-23T09:00:00+00:00"}
    assert event["channel"] == "email"
    row = clerk_app.store.one("SELECT * FROM inbound WHERE id = ?", [result.inbound_id])
    assert row is not None and bytes(row["raw"]) == raw and row["status"] == "processed"
    assert clerk_app.store.one("SELECT uses FROM reply_keys WHERE key = ?", [key]) == {"uses": 1}

    [confirmation] = answers(clerk_app, to=CAROL)
    assert confirmation["Subject"] == ("Thank you: you are down as attending, Carers Partnership, "
                                       "Thursday 14 January 2027 at 10:00")
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert confirmation["In-Reply-To"] == "<yes-1@mail.example.org>"
    assert confirmation["Reply-To"] == f"clerk+{key}@clerk.example.org", "answerable, to change"
    assert ("Thank you, we have you down as attending the Worcestershire Carers Partnership on "
            "Thursday 14 January 2027 at 10:00.") in text_of(confirmation)
    html = html_of(confirmation)
    assert "we have you down as attending" in html
    assert "font-size:22px" in html and "font-size:20px" in html
    assert len(bytes(confirmation)) < 6000, "confirmations stay small"


def test_a_later_reply_replaces_an_earlier_one_and_an_older_one_changes_nothing(
        clerk_app: Clerk, meeting: Meeting, clock: FakeClock) -> None:
    key = key_of(clerk_app, CAROL, meeting.ref)
    read(clerk_app, reply(CAROL, key, "Yes I will attend"))
    clock.advance(timedelta(hours=2))
    later = read(clerk_app, reply(CAROL, key, "Sorry, something came up: I can't make it now."))
    assert later.status == "processed" and reply_of(clerk_app, meeting, CAROL) == "apologies"
    assert answers(clerk_app, to=CAROL)[-1]["Subject"].startswith("Thank you: apologies recorded")

    delayed = read(clerk_app, reply(CAROL, key, "Count me in"),
                   received_at=clock.now() - timedelta(hours=1))  # delivered late, written before

    assert delayed.status == "processed"
    assert delayed.action.startswith("not applied") and "later reply" in delayed.action
    assert reply_of(clerk_app, meeting, CAROL) == "apologies"
    assert len(answers(clerk_app, to=CAROL)) == 2, "nothing sent about the stale one"


def test_the_same_message_twice_is_counted_once(clerk_app: Clerk, meeting: Meeting) -> None:
    raw = reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), "yes")
    first, second = read(clerk_app, raw), read(clerk_app, raw)
    assert (first.status, second.status) == ("processed", "duplicate")
    assert second.inbound_id == first.inbound_id and second.queued == ()
    assert len(audit_rows(clerk_app, "reply.recorded")) == 1
    assert len(answers(clerk_app, to=CAROL)) == 1
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM inbound") == {"n": 1}


def test_a_message_without_message_id_is_known_by_its_bytes(clerk_app: Clerk,
                                                            meeting: Meeting) -> None:
    raw = reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), "yes").replace(
        b"Message-ID:", b"X-Old-Message-ID:")
    first, second = read(clerk_app, raw), read(clerk_app, raw)
    assert first.message_key.startswith("sha256:") and first.message_id == ""
    assert (first.status, second.status) == ("processed", "duplicate")


def test_an_outlook_reply_with_x_auto_response_suppress_is_a_normal_reply(
        clerk_app: Clerk, meeting: Meeting) -> None:
    raw = reply(DEV, key_of(clerk_app, DEV, meeting.ref), "No, sorry - I'm on leave.",
                headers={"X-Auto-Response-Suppress": "All", "Thread-Index": "AQHbY2Zk3J1f"})
    assert read(clerk_app, raw).status == "processed"
    assert reply_of(clerk_app, meeting, DEV) == "apologies"


# ----------------------------------------------------------------------------- substitutes


def test_an_accepted_substitute_is_invited_with_a_key_of_their_own_and_counts_for_quorum(
        clerk_app: Clerk, meeting: Meeting) -> None:
    carol_key = key_of(clerk_app, CAROL, meeting.ref)
    result = read(clerk_app, reply(CAROL, carol_key, "Sorry, I'm away that week. Jane Smith "
                                   f"<{JANE}> will come in my place."))

    assert result.status == "processed"
    assert result.understood == f"substitute named: Jane Smith <{JANE}>"
    assert reply_of(clerk_app, meeting, CAROL) == "substitute"
    [invitation] = answers(clerk_app, to=JANE, kind="substitute_invitation")
    jane_key = key_of(clerk_app, JANE, meeting.ref)
    assert jane_key != carol_key and invitation["Reply-To"] == f"clerk+{jane_key}@clerk.example.org"
    [confirmation] = answers(clerk_app, to=CAROL)
    assert "Jane Smith (jane.smith@example.org) will attend in your place" in text_of(confirmation)
    line = next(r for r in forecast(clerk_app, meeting).replies if r.email == CAROL)
    assert (line.reply, line.substitute_email) == ("substitute", JANE)

    own = read(clerk_app, reply(JANE, jane_key, "Yes, happy to attend."))

    assert own.status == "processed" and "attending in place of Carol Chowdhury" in own.action
    assert reply_of(clerk_app, meeting, JANE) == "attend"
    [thanks] = answers(clerk_app, to=JANE, kind="reply_confirmation")
    assert "attending the Worcestershire Carers Partnership on Thursday 14 January 2027 at 10:00, " \
           "in place of Carol Chowdhury" in text_of(thanks)


def test_a_substitute_may_answer_the_members_forwarded_invitation(clerk_app: Clerk,
                                                                 meeting: Meeting) -> None:
    carol_key = key_of(clerk_app, CAROL, meeting.ref)
    read(clerk_app, reply(CAROL, carol_key, f"I can't come; Jane Smith ({JANE}) will attend "
                                            "instead of me."))
    result = read(clerk_app, reply(JANE, carol_key, "I can't come after all, sorry."))
    assert result.status == "processed", result.action
    assert reply_of(clerk_app, meeting, JANE) == "apologies"
    assert reply_of(clerk_app, meeting, CAROL) == "substitute", "the member's own reply stands"


def test_a_substitute_the_rules_refuse_is_not_invited_and_the_member_is_told_why(
        clerk_app: Clerk) -> None:
    pab = add_meeting(clerk_app, AddMeeting(body="cypsp-pab", venue="Room 1",
                                            starts_at=parse_local("2027-02-03 14:00", clerk_app.tz)))
    invite(clerk_app, pab.ref)
    chair = "zoe.bailey@example.org"
    result = read(clerk_app, reply(chair, key_of(clerk_app, chair, pab.ref),
                                   "I'm away; Sam Green (sam.green@example.net) will come in my "
                                   "place."))

    assert result.status == "processed" and "the chair may not send a substitute" in result.action
    assert reply_of(clerk_app, pab, chair) == "apologies", "their notice of absence stands"
    assert clerk_app.store.one("SELECT 1 AS x FROM people WHERE email = 'sam.green@example.net'") \
        is None
    [answer] = answers(clerk_app, to=chair)
    assert answer["Subject"].startswith("Thank you: apologies recorded")
    assert "Sam Green cannot attend in your place, because the chair may not send a substitute" \
        in text_of(answer)
    assert "No one can come in your place at this meeting." in text_of(answer)
    assert answer["Auto-Submitted"] == "auto-replied"


# ----------------------------------------------------------------------------- unclear


def test_an_unclear_answer_changes_nothing_and_asks_again_quoting_what_was_read(
        clerk_app: Clerk, meeting: Meeting) -> None:
    key = key_of(clerk_app, CAROL, meeting.ref)
    read(clerk_app, reply(CAROL, key, "Yes, I'll be there."))
    result = read(clerk_app, reply(CAROL, key, "Yes... actually no, I'm not sure.\n\nCarol",
                                   message_id="<unsure@mail.example.org>"))

    assert result.status == "unclear" and result.understood.startswith("unclear: ")
    assert reply_of(clerk_app, meeting, CAROL) == "attend", "unchanged"
    ask = answers(clerk_app, to=CAROL, kind="reply_unclear")[0]
    assert ask["Subject"] == "Please tell us again: Carers Partnership, Thursday 14 January 2027 " \
                             "at 10:00"
    assert ask["In-Reply-To"] == "<unsure@mail.example.org>"
    assert ask["Reply-To"] == f"clerk+{key}@clerk.example.org"
    text = text_of(ask)
    assert "we have not changed anything" in text
    assert "> Yes... actually no, I'm not sure." in text and "> Carol" in text
    assert "Your answer sounds uncertain" in text
    assert "What we have for you now: attending." in text
    assert "I&#39;m not sure" in html_of(ask) or "I'm not sure" in html_of(ask)


@pytest.mark.parametrize(("body", "why"), [
    ("Yes I'll come. No, I won't.", "both yes and no"),
    ("Tom Baker will come in my place.", "we also need their email address"),
    ("What time does it start?", "We could not find a yes, a no"),
])
def test_why_an_answer_was_unclear_is_said_plainly(clerk_app: Clerk, meeting: Meeting,
                                                   body: str, why: str) -> None:
    result = read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), body))
    assert result.status == "unclear"
    assert why in text_of(answers(clerk_app, to=CAROL, kind="reply_unclear")[0])


# ----------------------------------------------------------------------------- who is replying


def test_a_valid_key_from_another_address_is_refused_and_the_sender_told_at_most_daily(
        clerk_app: Clerk, meeting: Meeting, clock: FakeClock) -> None:
    carol_key = key_of(clerk_app, CAROL, meeting.ref)
    first = read(clerk_app, reply(DEV, carol_key, "Yes I will attend"))

    assert first.status == "refused" and "belongs to another address" in first.reason
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
    assert reply_of(clerk_app, meeting, DEV) == "no_reply"
    [refusal] = answers(clerk_app, to=DEV)
    text = text_of(refusal)
    assert "sent to a different email address" in text
    assert "Carol" not in text and CAROL not in text and carol_key not in refusal.as_string()
    assert refusal["Reply-To"] is None, "a refusal carries no key"
    [event] = audit_rows(clerk_app, "inbound.refused")
    assert event["subject"] == meeting.ref and json.loads(event["evidence"])["from"] == DEV

    second = read(clerk_app, reply(DEV, carol_key, "I said yes!"))
    assert second.status == "refused" and "already went to this address" in second.action
    assert len(answers(clerk_app, to=DEV)) == 1
    clock.advance(timedelta(hours=25))
    assert read(clerk_app, reply(DEV, carol_key, "Yes")).queued
    assert len(answers(clerk_app, to=DEV)) == 2


def test_display_names_are_never_trusted(clerk_app: Clerk, meeting: Meeting) -> None:
    key = key_of(clerk_app, CAROL, meeting.ref)
    quoted = reply("mallory@evil.example", key, "I will attend", name=f'"{CAROL}"')
    result = read(clerk_app, quoted)
    assert result.status == "refused" and result.from_addr == "mallory@evil.example"
    bare = read(clerk_app, reply("mallory@evil.example", key, "I will attend", name=CAROL))
    assert bare.status == "refused" and bare.from_addr == "", "two addresses: neither believed"
    assert bare.reason == "the message has no usable sender address"
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
    assert answers(clerk_app, to=CAROL) == []


def test_an_expired_key_is_refused_with_a_clear_answer(clerk_app: Clerk, clock: FakeClock) -> None:
    later = add_meeting(clerk_app, AddMeeting(body="carers", venue="County Hall",
                                              starts_at=parse_local("2027-04-08 10:00",
                                                                    clerk_app.tz)))
    invite(clerk_app, later.ref)
    key = key_of(clerk_app, CAROL, later.ref)
    clock.advance(timedelta(days=61))

    result = read(clerk_app, reply(CAROL, key, "Yes please"))

    assert result.status == "refused" and result.reason == "the reply key has expired"
    assert reply_of(clerk_app, later, CAROL) == "no_reply"
    [refusal] = answers(clerk_app, to=CAROL)
    assert "too old: its reply link has expired" in text_of(refusal)
    assert "facilitator@carers.example.org" in text_of(refusal)


def test_mail_without_a_key_is_answered_only_when_the_sender_is_known(
        clerk_app: Clerk, meeting: Meeting) -> None:
    stranger = read(clerk_app, reply("someone@spam.example", None, "Buy now"))
    assert stranger.status == "refused" and "not someone clerk knows" in stranger.action
    assert answers(clerk_app, to="someone@spam.example") == []

    member = read(clerk_app, reply(CAROL, None, "Will there be parking?"))
    assert member.status == "refused"
    [answer] = answers(clerk_app, to=CAROL)
    assert "please reply to the invitation email itself" in text_of(answer)
    unknown_key = read(clerk_app, reply("someone@spam.example", "f" * 32, "yes"))
    assert unknown_key.reason == "the reply key is not one clerk issued"
    assert answers(clerk_app, to="someone@spam.example") == []


def test_a_reply_for_a_cancelled_or_past_meeting_is_refused(clerk_app: Clerk, meeting: Meeting,
                                                            clock: FakeClock) -> None:
    key = key_of(clerk_app, DEV, meeting.ref)
    clock.set(meeting.starts_at + timedelta(hours=3))
    late = read(clerk_app, reply(DEV, key, "yes"))
    assert late.status == "refused" and "has already taken place" in late.reason
    assert "has already taken place" in text_of(answers(clerk_app, to=DEV)[0])


# ----------------------------------------------------------------------------- sender auth

TRUSTED = "mx.clerk.example.org"


@pytest.fixture
def trusting(clerk_app: Clerk) -> Clerk:
    """clerk configured to believe its own mail server's Authentication-Results."""
    mail = clerk_app.config.mail.model_copy(update={"trusted_authserv_id": TRUSTED})
    clerk_app.config = clerk_app.config.model_copy(update={"mail": mail})
    return clerk_app


def test_a_failed_dmarc_verdict_from_our_server_refuses_without_answering(
        trusting: Clerk, meeting: Meeting) -> None:
    raw = reply(CAROL, key_of(trusting, CAROL, meeting.ref), "Yes", headers={
        "Authentication-Results": f"{TRUSTED}; dkim=none; spf=fail smtp.mailfrom=example.org; "
                                  "dmarc=fail (p=reject) header.from=example.org"})
    result = read(trusting, raw)
    assert result.status == "refused" and "dmarc=fail" in result.reason
    assert "cannot be believed" in result.action
    assert answers(trusting, to=CAROL) == [] and reply_of(trusting, meeting, CAROL) == "no_reply"


def test_a_forged_authentication_results_header_is_refused(trusting: Clerk,
                                                          meeting: Meeting) -> None:
    raw = reply(CAROL, key_of(trusting, CAROL, meeting.ref), "Yes", headers={
        "Authentication-Results": f"{TRUSTED}; spf=pass smtp.mailfrom=example.org"})
    forged = raw.replace(b"\r\n\r\n", f"\r\nAuthentication-Results: {TRUSTED}; dmarc=pass "
                                      "header.from=example.org\r\n\r\n".encode(), 1)
    result = read(trusting, forged)
    assert result.status == "refused" and "claiming to come from" in result.reason
    assert answers(trusting, to=CAROL) == []
    assert read(trusting, raw.replace(b"Message-ID: <", b"Message-ID: <ok")).status == "processed"


def test_a_pass_claimed_by_another_server_counts_for_nothing(trusting: Clerk,
                                                            meeting: Meeting) -> None:
    raw = reply(DEV, key_of(trusting, CAROL, meeting.ref), "Yes", headers={
        "Authentication-Results": "mx.evil.example; dmarc=pass; spf=pass; dkim=pass"})
    result = read(trusting, raw)
    assert result.status == "refused" and "belongs to another address" in result.reason


def test_without_a_trusted_server_the_headers_are_not_read(clerk_app: Clerk,
                                                          meeting: Meeting) -> None:
    raw = reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), "Yes", headers={
        "Authentication-Results": f"{TRUSTED}; dmarc=fail"})
    assert read(clerk_app, raw).status == "processed"


@pytest.mark.parametrize(("headers", "verdict"), [
    ([], "unknown"),
    ([f"{TRUSTED}; dmarc=pass header.from=example.org"], "pass"),
    ([f"{TRUSTED} 1; spf=pass smtp.mailfrom=a@example.org"], "pass"),
    ([f"{TRUSTED}; none"], "unknown"),
    ([f"{TRUSTED};\r\n dkim=pass (signature ok) header.d=example.org;\r\n spf=fail"], "pass"),
    ([f"{TRUSTED}; spf=fail smtp.mailfrom=example.org"], "fail"),
    ([f"{TRUSTED}; dkim=pass; dmarc=fail"], "fail"),
    (["other.example; dmarc=fail"], "unknown"),
    ([f"{TRUSTED}; spf=pass", f"{TRUSTED}; dmarc=pass"], "forged"),
    ([f"{TRUSTED.upper()}; dmarc=pass"], "pass"),
])
def test_judging_authentication_results(headers: list[str], verdict: str) -> None:
    assert judge_sender(headers, TRUSTED).verdict == verdict
    assert judge_sender(headers, "").verdict == "unknown"


def test_parse_authentication_results_ignores_comments() -> None:
    assert parse_header("mx.example.org (Postfix); spf=pass (sender SPF authorized) "
                        "smtp.mailfrom=a.org; dkim=fail (bad sig) header.d=a.org") == (
        "mx.example.org", {"spf": "pass", "dkim": "fail"})


# ----------------------------------------------------------------------------- what a refusal says
# The writer of a refused message is told why by the refusal's code (inbox.TOLD), never by the
# words the records use: every code is covered here, end to end.

_KEY_TOLD: dict[KeyProblem, str] = {
    "unknown": "it does not answer one of our emails, so we cannot tell what it is about",
    "withdrawn": "the email you answered has been replaced by a newer one",
    "expired": "the email you answered is too old: its reply link has expired",
}


def _key_reply(app: Clerk, meeting: Meeting, clock: FakeClock, problem: KeyProblem) -> bytes:
    """A reply from Carol whose key has ``problem``."""
    key = key_of(app, CAROL, meeting.ref)
    if problem == "unknown":
        key = "f" * 32
    elif problem == "withdrawn":
        app.store.db.execute("UPDATE reply_keys SET revoked = 1 WHERE key = ?", [key])
    else:
        clock.advance(timedelta(days=61))
    return reply(CAROL, key, "Yes, I will be there")


def test_every_reply_key_problem_has_its_refusal_and_words() -> None:
    problems = set(get_args(KeyProblem))
    assert set(KEY_REFUSALS) == problems == set(_KEY_TOLD)
    assert set(KEY_CHECK_REASONS) == set(get_args(KeyCheckCode))
    for problem in problems:
        told = inbox.TOLD[KEY_REFUSALS[problem]]
        assert told is not None and inbox.refused_text(told.reason) == _KEY_TOLD[problem]


def test_every_refusal_answered_in_fixed_words_has_both_its_templates() -> None:
    assert set(inbox.TOLD) == set(get_args(Refusal))
    never_or_own_words = {code for code, told in inbox.TOLD.items() if told is None}
    assert never_or_own_words == {"no_sender", "not_authentic", "not_accepted"}
    for told in inbox.TOLD.values():
        if told is not None:
            assert inbox.refused_text(told.reason) and inbox.refused_text(told.advice)


@pytest.mark.parametrize("problem", get_args(KeyProblem))
def test_the_writer_is_told_why_their_key_cannot_be_used(
        clerk_app: Clerk, meeting: Meeting, clock: FakeClock, problem: KeyProblem) -> None:
    result = read(clerk_app, _key_reply(clerk_app, meeting, clock, problem))

    assert result.status == "refused" and result.refusal == KEY_REFUSALS[problem]
    assert result.reason == KEY_CHECK_REASONS[problem]
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
    [refusal] = answers(clerk_app, to=CAROL, kind="reply_refused")
    assert _KEY_TOLD[problem] in text_of(refusal)
    for other in set(_KEY_TOLD.values()) - {_KEY_TOLD[problem]}:
        assert other not in text_of(refusal)
    if problem == "unknown":
        assert "please reply to the invitation email itself" in text_of(refusal)
    else:
        assert "Please reply to the most recent email we sent you" in text_of(refusal)


@pytest.mark.parametrize("problem", get_args(KeyProblem))
def test_rewording_what_the_records_say_changes_nothing_the_writer_is_told(
        clerk_app: Clerk, meeting: Meeting, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        problem: KeyProblem) -> None:
    monkeypatch.setitem(KEY_CHECK_REASONS, problem, "the key is no good (reworded)")

    result = read(clerk_app, _key_reply(clerk_app, meeting, clock, problem))

    assert result.reason == "the key is no good (reworded)"
    [refusal] = answers(clerk_app, to=CAROL, kind="reply_refused")
    assert _KEY_TOLD[problem] in text_of(refusal) and "reworded" not in text_of(refusal)


def _refused(app: Clerk, meeting: Meeting, clock: FakeClock, refusal: Refusal) -> InboundOutcome:
    """A message refused for ``refusal``, as a writer would send it."""
    carol_key = key_of(app, CAROL, meeting.ref)
    if refusal == "no_sender":
        return read(app, reply(CAROL, carol_key, "Yes", name=DEV))  # "Dev <carol@>" has two
    if refusal == "not_authentic":
        mail = app.config.mail.model_copy(update={"trusted_authserv_id": TRUSTED})
        app.config = app.config.model_copy(update={"mail": mail})
        return read(app, reply(CAROL, carol_key, "Yes", headers={
            "Authentication-Results": f"{TRUSTED}; dmarc=fail (p=reject) header.from=example.org"}))
    if refusal == "not_ours":
        return read(app, reply(CAROL, None, "Will there be parking?"))
    if refusal == "other_address":
        return read(app, reply(DEV, carol_key, "Yes"))
    if refusal == "not_accepted":
        clock.set(meeting.starts_at + timedelta(hours=3))
        return read(app, reply(CAROL, carol_key, "Yes"))
    problem = next(p for p, r in KEY_REFUSALS.items() if r == refusal)
    return read(app, _key_reply(app, meeting, clock, problem))


_TOLD_END_TO_END: dict[Refusal, str | None] = {
    "no_sender": None,
    "not_authentic": None,
    "not_ours": "it does not answer one of our emails",
    "key_unknown": "it does not answer one of our emails",
    "key_withdrawn": "has been replaced by a newer one",
    "key_expired": "too old: its reply link has expired",
    "other_address": "was sent to a different email address",
    "not_accepted": "has already taken place",
}


@pytest.mark.parametrize("refusal", get_args(Refusal))
def test_each_refusal_is_answered_with_its_own_words_or_not_at_all(
        clerk_app: Clerk, meeting: Meeting, clock: FakeClock, refusal: Refusal) -> None:
    assert set(_TOLD_END_TO_END) == set(get_args(Refusal)) == set(inbox.TOLD)

    result = _refused(clerk_app, meeting, clock, refusal)

    assert result.status == "refused" and result.refusal == refusal
    [event] = audit_rows(clerk_app, "inbound.refused")
    assert json.loads(event["detail"])["refusal"] == refusal
    expected = _TOLD_END_TO_END[refusal]
    sent = answers(clerk_app, kind="reply_refused")
    if expected is None:
        assert sent == [] and "not answered" in result.action
    else:
        [answer] = sent
        assert expected in text_of(answer)


# ----------------------------------------------------------------------------- automation


def test_automatic_mail_changes_nothing_and_is_never_answered(clerk_app: Clerk,
                                                              meeting: Meeting) -> None:
    key = key_of(clerk_app, CAROL, meeting.ref)
    ooo = read(clerk_app, out_of_office(CAROL, key))
    listed = read(clerk_app, reply(CAROL, key, "yes", headers={"List-Id": "<board.example.org>"}))
    own = read(clerk_app, reply(f"clerk+{key}@clerk.example.org", key, "Yes"))
    junk = read(clerk_app, reply(CAROL, key, "Yes", headers={"Precedence": "junk"}))

    assert [r.status for r in (ooo, listed, own, junk)] == ["ignored"] * 4
    assert ooo.understood.startswith("auto-reply: Auto-Submitted: auto-replied")
    assert own.action.startswith("dropped: it came from clerk's own address")
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
    assert answers(clerk_app) == []


def test_a_permanent_bounce_marks_the_address_undeliverable(clerk_app: Clerk,
                                                            meeting: Meeting) -> None:
    result = read(clerk_app, bounce(CAROL, original_id=sent_id(clerk_app, CAROL)))

    assert result.status == "processed" and f"marked {CAROL} undeliverable" in result.action
    row = clerk_app.store.one("SELECT undeliverable FROM people WHERE email = ?", [CAROL])
    assert row is not None and "5.1.1" in row["undeliverable"]
    assert "mailer-daemon@mx1.example.org" in row["undeliverable"]
    [event] = audit_rows(clerk_app, "mail.undeliverable")
    assert event["subject"] == CAROL and json.loads(event["evidence"])["message_id"]
    assert answers(clerk_app) == []
    again = bounce(CAROL, original_id=sent_id(clerk_app, CAROL))
    assert read(clerk_app, again).status == "ignored", "already marked"


def test_a_message_from_an_address_that_bounced_sends_mail_to_it_again(clerk_app: Clerk,
                                                                      meeting: Meeting) -> None:
    read(clerk_app, bounce(CAROL, original_id=sent_id(clerk_app, CAROL)))
    result = read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), "Yes, I'll be there"))

    assert result.status == "processed" and reply_of(clerk_app, meeting, CAROL) == "attend"
    assert clerk_app.store.one("SELECT undeliverable FROM people WHERE email = ?",
                               [CAROL]) == {"undeliverable": None}
    [event] = audit_rows(clerk_app, "mail.deliverable")
    assert event["subject"] == CAROL
    assert json.loads(event["detail"])["why"] == "a message came from this address"
    assert [m["To"] for m in answers(clerk_app, to=CAROL)] == [CAROL]  # the confirmation goes


def test_a_declaration_before_the_agenda_is_out_goes_to_the_facilitator(clerk_app: Clerk,
                                                                        meeting: Meeting) -> None:
    text = ("Sorry, I can't make it. I should declare an interest in item 4 as my employer "
            "is bidding for the contract.")
    result = read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), text))

    assert result.status == "processed" and reply_of(clerk_app, meeting, CAROL) == "apologies"
    assert "declaration of interest passed to the facilitator (the agenda is not out yet" \
        in result.action
    [forwarded] = answers(clerk_app, kind="reply_forward")
    assert forwarded["To"] == "Facilitator <facilitator@carers.example.org>"
    assert "my employer is bidding for the contract" in forwarded.get_body(("plain",)).get_content()
    [confirmation] = answers(clerk_app, to=CAROL)
    body = confirmation.get_body(("plain",)).get_content()
    assert "we have recorded your apologies" in body
    assert "You also declared an interest. We could not record it against an agenda item (the " \
        "agenda is not out yet, so its items have no numbers), so we have passed it to the " \
        "facilitator" in " ".join(body.split())


def test_a_delay_or_a_stranger_s_bounce_changes_nothing(clerk_app: Clerk, meeting: Meeting) -> None:
    assert read(clerk_app, bounce(DEV, permanent=False)).status == "ignored"
    assert read(clerk_app, bounce("nobody@example.net")).status == "ignored"
    assert clerk_app.store.one("SELECT undeliverable FROM people WHERE email = ?",
                               [DEV]) == {"undeliverable": None}
    assert answers(clerk_app) == []


# ----------------------------------------------------------------------------- quarantine, purposes


def test_a_message_that_fails_is_quarantined_with_its_bytes_and_can_be_replayed(
        clerk_app: Clerk, meeting: Meeting, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(app: Clerk, db: Any, reply: VerifiedReply) -> Decision:
        raise RuntimeError("the disk is on fire")

    raw = reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), "yes")
    monkeypatch.setitem(inbox.PURPOSE_HANDLERS, "rsvp", broken)
    failed = read(clerk_app, raw)
    assert failed.status == "quarantined" and "the disk is on fire" in failed.reason
    row = clerk_app.store.one("SELECT * FROM inbound WHERE id = ?", [failed.inbound_id])
    assert row is not None and bytes(row["raw"]) == raw and row["from_addr"] == CAROL
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply", "nothing half done"
    assert audit_rows(clerk_app, "inbound.quarantined")

    monkeypatch.undo()
    again = read(clerk_app, raw)
    assert again.status == "processed" and again.inbound_id == failed.inbound_id
    assert reply_of(clerk_app, meeting, CAROL) == "attend"


def test_replies_to_other_purposes_go_to_their_handler(clerk_app: Clerk, meeting: Meeting,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with clerk_app.store.write() as db:
        person = db.execute("SELECT id FROM people WHERE email = ?", [CAROL]).fetchone()[0]
        key = issue_key(db, person_id=person, purpose="booking", subject_ref=meeting.ref,
                        now=clerk_app.clock.now(), days=30)
    raw = reply(CAROL, key, "Two places please")
    waiting = read(clerk_app, raw)
    assert waiting.status == "quarantined"
    assert waiting.reason == "clerk cannot read replies to 'booking' emails yet"

    seen: list[VerifiedReply] = []

    def booking(app: Clerk, db: Any, verified: VerifiedReply) -> Decision:
        seen.append(verified)
        if "ten" in verified.mail.fresh_text:
            raise Refused("the booking has closed")
        return Decision("processed", "two places", "places booked", meeting=verified.key.subject_ref)

    monkeypatch.setitem(inbox.PURPOSE_HANDLERS, "booking", booking)
    replayed = read(clerk_app, raw)  # replayed once a feature reads such replies
    assert (replayed.status, replayed.action) == ("processed", "places booked")
    assert replayed.inbound_id == waiting.inbound_id
    assert seen[0].key.purpose == "booking" and seen[0].sender.email == CAROL
    assert seen[0].idempotency_key.startswith("email:")
    refused = read(clerk_app, reply(CAROL, key, "ten places"))
    assert refused.status == "refused" and refused.reason == "the booking has closed"
    assert "the booking has closed" in text_of(answers(clerk_app, to=CAROL, kind="reply_refused")[0])


def test_garbage_never_raises(clerk_app: Clerk) -> None:
    for junk in (b"", b"\x00\xff\xfe", b"From: \r\n\r\n", b"Content-Type: multipart/mixed\n\nx"):
        result = read(clerk_app, junk)
        assert result.status in ("refused", "ignored")


def _draft_ids(app: Clerk, ref: str) -> list[str]:
    return [r["message_id"] for r in app.store.all(
        "SELECT message_id FROM outbox WHERE kind = 'agenda_draft' AND subject_ref = ? "
        "ORDER BY id", [ref])]


def test_an_approval_counts_for_the_draft_it_answers(clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    ref = carers_meeting(app).ref
    add_item(app, AddItem(ref, "Carers' Week"))
    send_draft(app, ref)
    add_item(app, AddItem(ref, "Budget 2027-28"))  # the agenda changes after the first draft
    send_draft(app, ref)
    first, *_, latest = _draft_ids(app, ref)
    key = key_of(app, CHAIR, ref)

    old = read(app, reply(CHAIR, key, "APPROVE", in_reply_to=f"<{first}>"))
    assert old.status == "processed" and not agenda_now(app, ref).approved
    [answered] = app.store.all("SELECT d.version FROM agenda_drafts_sent d JOIN outbox o "
                               "ON o.id = d.outbox_id WHERE o.message_id = ?", [first])
    assert f"since the draft you answered (version {answered['version']};" in old.action

    new = read(app, reply(CHAIR, key, "APPROVE", in_reply_to=f"<{latest}>"))
    assert new.status == "processed" and agenda_now(app, ref).approved


def test_drafts_sent_before_the_upgrade_keep_their_version(clock: FakeClock,
                                                           tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    ref = carers_meeting(app).ref
    add_item(app, AddItem(ref, "Carers' Week"))
    send_draft(app, ref)
    add_item(app, AddItem(ref, "Budget 2027-28"))
    send_draft(app, ref)
    recorded = "SELECT outbox_id, meeting_id, version FROM agenda_drafts_sent ORDER BY outbox_id"
    sent = app.store.all(recorded)
    assert [r["version"] for r in sent] == sorted({r["version"] for r in sent}) and len(sent) > 1
    with app.store.write() as db:  # as a database from before m008 would be upgraded
        db.execute("DROP TABLE agenda_drafts_sent")
        m008_agenda_drafts_sent(db)
    assert app.store.all(recorded) == sent


# ----------------------------------------------------------------------------- maildir, workers


@pytest.fixture
def maildir_app(clerk_app: Clerk, tmp_path: Path) -> Clerk:
    mail = clerk_app.config.mail.model_copy(update={"maildir": tmp_path / "mail"})
    clerk_app.config = clerk_app.config.model_copy(update={"mail": mail})
    return clerk_app


def test_clerk_run_reads_the_local_maildir_and_sends_the_answers(maildir_app: Clerk,
                                                                meeting: Meeting,
                                                                tmp_path: Path) -> None:
    from mail.worker import workers

    (tmp_path / "mail").mkdir()
    inbox_dir = mailbox.Maildir(tmp_path / "mail" / "inbox", create=True)
    inbox_dir.add(reply(CAROL, key_of(maildir_app, CAROL, meeting.ref), "Yes please"))
    inbox_dir.add(reply(DEV, key_of(maildir_app, DEV, meeting.ref), "no, sorry"))
    reader, sender = workers(maildir_app)
    assert reader.name.startswith("inbox reader (Maildir") and reader.once and sender.once

    async def once() -> None:
        assert reader.once is not None and sender.once is not None
        await reader.once()
        await sender.once()

    asyncio.run(once())

    assert len(inbox_dir) == 0
    assert len(mailbox.Maildir(tmp_path / "mail" / "processed")) == 2
    assert reply_of(maildir_app, meeting, CAROL) == "attend"
    assert reply_of(maildir_app, meeting, DEV) == "apologies"
    sent = [message_from_bytes(m.as_bytes(), policy=policy.default)
            for m in mailbox.Maildir(tmp_path / "mail" / "outbox")]
    kinds = sorted((str(m["To"]), str(m["X-Clerk-Kind"])) for m in sent
                   if m["X-Clerk-Kind"] == "reply_confirmation")
    assert kinds == [(CAROL, "reply_confirmation"), (DEV, "reply_confirmation")]


def test_the_maildir_reader_quarantines_what_fails_and_carries_on(
        maildir_app: Clerk, meeting: Meeting, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mail.maildir_reader import MaildirReader

    boxes = tmp_path / "mail"
    boxes.mkdir()
    inbox_dir = mailbox.Maildir(boxes / "inbox", create=True)
    inbox_dir.add(reply(CAROL, key_of(maildir_app, CAROL, meeting.ref), "yes",
                        subject="Re: poison"))
    inbox_dir.add(reply(DEV, key_of(maildir_app, DEV, meeting.ref), "yes"))
    real = inbox.handle_inbound

    def fragile(app: Clerk, mail: Any, **kwargs: Any) -> InboundOutcome:
        if mail.subject == "Re: poison":
            raise ValueError("cannot read this one")
        return real(app, mail, **kwargs)

    monkeypatch.setattr("mail.ingest.handle_inbound", fragile)
    report = asyncio.run(MaildirReader(maildir_app).drain_once())

    assert sorted(r.status for r in report.results) == ["processed", "quarantined"]
    assert len(mailbox.Maildir(boxes / "quarantine")) == 1
    assert len(mailbox.Maildir(boxes / "processed")) == 1
    assert reply_of(maildir_app, meeting, DEV) == "attend"


# ----------------------------------------------------------------------------- command line


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_clerk_mail_ingest_prints_one_line_per_message(workdir: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from tests.app_fixtures import EXAMPLE_MEMBERS

    assert _cli(capsys, "members", "import", str(EXAMPLE_MEMBERS))[0] == 0
    assert _cli(capsys, "meetings", "add", "carers", "--at", "2030-01-17 10:00",
                "--venue", "County Hall")[0] == 0
    assert _cli(capsys, "invite", "carers-2030-01-17")[0] == 0
    from clerk.cli.common import open_app

    app = open_app(workdir / "config.toml")
    (workdir / "yes.eml").write_bytes(reply(CAROL, key_of(app, CAROL, "carers-2030-01-17"), "Yes"))
    (workdir / "ooo.eml").write_bytes(out_of_office(DEV, key_of(app, DEV, "carers-2030-01-17")))
    app.store.close()

    code, out, err = _cli(capsys, "mail", "ingest", "yes.eml", "ooo.eml")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"yes.eml: from {CAROL}: understood: will attend")
    assert "processed: recorded: attending for Carers Partnership" in lines[0]
    assert lines[1].startswith(f"ooo.eml: from {DEV}: understood: auto-reply")
    assert "1 answer(s) queued: run `clerk mail send`" in out

    code, out, _ = _cli(capsys, "mail", "ingest", "--json", "yes.eml", "missing.eml")
    assert code == 2
    data = json.loads(out)
    assert data[0]["status"] == "duplicate" and data[0]["from"] == CAROL
    assert data[1] == {"file": "missing.eml",
                       "error": "cannot read the file: No such file or directory"}

    code, out, _ = _cli(capsys, "mail", "inbox", "--json")
    assert code == 0 and [r["status"] for r in json.loads(out)] == ["ignored", "processed"]
    assert set(json.loads(out)[0]) == {"id", "received_at", "processed_at", "source", "from_addr",
                                       "subject", "status", "understood", "action", "reason",
                                       "message_id"}
    code, out, _ = _cli(capsys, "mail", "inbox", "--status", "processed")
    assert code == 0 and f"from {CAROL}: processed: recorded: attending" in out
    assert _cli(capsys, "mail", "inbox", "--status", "lost")[0] == 2
    code, out, _ = _cli(capsys, "mail", "read")
    assert code == 0 and "no new messages" in out


def test_imap_fetches_in_batches_bounded_by_count_and_size() -> None:
    from mail.imap_reader import _batches

    sizes = {1: 10, 2: 10, 3: 100, 4: 10, 5: 10}
    assert list(_batches([1, 2, 3, 4, 5], sizes, 2, 50)) == [[1, 2], [3], [4, 5]]
    assert list(_batches([1, 2, 3], {}, 20, 50)) == [[1, 2, 3]]
    assert list(_batches([], {}, 20, 50)) == []
