"""Reason codes, not sentences: every reader says why it read an answer as it did with a code, and
what a member is told is chosen by that code (clerk.mail_in.responses), never by the words of the
reader's reason sentence. Each code of each reader reaches its own text, end to end: the answer
clerk sends back says it."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from typing import get_args

import pytest

from clerk.app import Clerk
from clerk.mail_in import responses
from clerk.mail_in.responses import why_declaration_unclear, why_unclear, why_vote_unclear
from clerk.meetings.schedule import Meeting
from clerk.reading import agenda_reply, declaration, rsvp, vote
from clerk.reading.calendar_reply import CalendarReply, rsvp_from_calendar
from clerk.reading.declaration import read_declaration
from clerk.reading.rsvp import RsvpReading, read_rsvp
from clerk.reading.vote import read_vote
from mail.ingest import ingest
from tests.app_fixtures import key_of, reply_of
from tests.reply_mail import calendar_reply, reply
from tests.test_ballots import inquorate  # noqa: F401  (the fixture voters needs)
from tests.test_inbound import answers, text_of
from tests.test_vote_email import answer, ballot_email, voters  # noqa: F401  (voters: the fixture)

ROOT = Path(__file__).resolve().parent.parent
CAROL = "carol.chowdhury@example.org"

# What a member is told for each code, written out here rather than taken from the templates, so
# that a test fails when the words a member reads change.
CALENDAR_FIRM = ("We need a firm yes or no: press Accept or Decline in your calendar, or reply to "
                 "the invitation with YES or NO.")
RSVP_TOLD: dict[str, tuple[str, str]] = {  # code: (what they wrote, what they are told)
    "empty": ("", "Your email seemed to be empty: perhaps only our invitation came back to us."),
    "yes_and_no": ("Yes I'll come. No, I won't.", "Your message seems to say both yes and no."),
    "substitute_and_attending": (
        "I will attend. Also Jane Smith (jane@example.org) will come in my place.",
        "You name someone to come in your place, but also seem to say that you will come yourself."),
    "tentative": ("Maybe, if I can get away.", "Your answer sounds uncertain. We need a firm yes or "
                  "no; if your plans change, you can always write again."),
    "substitute_without_address": (
        "Tom Baker will come in my place.", "You name Tom Baker to come in your place, but we also "
        "need their email address, so that we can send them the papers."),
    "substitute_unnamed": ("I will send a substitute", "You mention a substitute, but we need their "
                           "name and email address, so that we can send them the papers."),
    "nothing_recognised": ("What time does it start?",
                           "We could not find a yes, a no, or the name of a substitute in it."),
    "calendar_tentative": ("TENTATIVE", f'Your calendar answered "Tentative". {CALENDAR_FIRM}'),
    "calendar_no_status": ("", f"Your calendar answered without a status. {CALENDAR_FIRM}"),
    "calendar_other": ("NEEDS-ACTION", f'Your calendar answered "NEEDS-ACTION". {CALENDAR_FIRM}'),
}
VOTE_TOLD: dict[str, tuple[str, str]] = {  # on a ballot of two decisions
    "no_vote": ("What time does the meeting start?",
                "no vote recognised (approve, reject or abstain)"),
    "singled_out_without_vote": ("All except number 2.",
                                 "decisions are singled out but no vote is given"),
    "overall_both": ("I approve and I reject.",
                     "contradiction: overall answer reads as both approve and reject"),
    "no_such_decision": ("Approve 7", "decision 7 does not exist (there are 2)"),
    "decision_both": ("1 approve, 1 reject, 2 approve",
                      "contradiction: more than one answer for decision 1"),
    "decision_missing": ("1 approve", "no answer for decision 2"),
}
DECLARATION_TOLD: dict[str, tuple[str, str]] = {  # on an agenda of seven items
    "item_not_said": ("I declare an interest in the grants item.",
                      'an interest is declared but not in which agenda item (say, for example, '
                      '"item 3")'),
    "no_such_item": ("I declare an interest in item 9 as a trustee.",
                     "item 9 is not on the agenda (it has 7 items)"),
}


def calendar_reading(partstat: str) -> RsvpReading:
    return rsvp_from_calendar(CalendarReply(uid="m1", attendee=CAROL, partstat=partstat))


# ----------------------------------------------------------------------------- every code is told


def test_every_unclear_code_of_every_reader_has_its_own_text() -> None:
    tables = ((responses.RSVP_UNCLEAR, rsvp.RsvpUnclearCode),
              (responses.VOTE_UNCLEAR, vote.VoteUnclearCode),
              (responses.DECLARATION_UNCLEAR, declaration.DeclarationUnclearCode))
    for table, codes in tables:
        assert set(table) == set(get_args(codes))
        for name in table.values():
            assert (ROOT / "templates" / "email" / "why" / f"{name}.txt.j2").is_file(), name
    assert set(RSVP_TOLD) == set(get_args(rsvp.RsvpUnclearCode))
    assert set(VOTE_TOLD) == set(get_args(vote.VoteUnclearCode))
    assert set(DECLARATION_TOLD) == set(get_args(declaration.DeclarationUnclearCode))


def test_the_codes_of_each_reader_are_distinct_and_firm_codes_have_no_unclear_text() -> None:
    for firm, unclear in ((rsvp.RsvpFirmCode, rsvp.RsvpUnclearCode),
                          (vote.VoteFirmCode, vote.VoteUnclearCode),
                          (declaration.DeclarationFirmCode, declaration.DeclarationUnclearCode)):
        assert not set(get_args(firm)) & set(get_args(unclear))
    assert len(get_args(agenda_reply.AgendaCode)) == len(set(get_args(agenda_reply.AgendaCode)))
    with pytest.raises(ValueError, match="not unclear"):
        why_unclear(read_rsvp("Yes, I'll be there."))
    with pytest.raises(ValueError, match="not unclear"):
        why_vote_unclear(read_vote("I approve both.", 2))
    with pytest.raises(ValueError, match="cannot have the code"):
        RsvpReading("attend", "yes_and_no")


@pytest.mark.parametrize("code", sorted(RSVP_TOLD))
def test_each_rsvp_code_is_read_and_told_in_its_own_words(code: str) -> None:
    written, told = RSVP_TOLD[code]
    reading = calendar_reading(written) if code.startswith("calendar_") else read_rsvp(written)
    assert reading.code == code and reading.intent == "unclear"
    assert why_unclear(reading) == told


@pytest.mark.parametrize("code", sorted(VOTE_TOLD))
def test_each_vote_code_is_read_and_told_in_its_own_words(code: str) -> None:
    written, told = VOTE_TOLD[code]
    reading = read_vote(written, 2)
    assert reading.code == code and reading.unclear and not reading.choices
    assert why_vote_unclear(reading) == told


@pytest.mark.parametrize("code", sorted(DECLARATION_TOLD))
def test_each_declaration_code_is_read_and_told_in_its_own_words(code: str) -> None:
    written, told = DECLARATION_TOLD[code]
    reading = read_declaration(written, 7)
    assert reading.code == code and reading.unclear and not reading.found
    assert why_declaration_unclear(reading) == told


def test_the_firm_readings_carry_their_codes() -> None:
    assert read_rsvp("Yes, I'll be there.").code == "will_attend"
    assert read_rsvp("Sorry, I can't make it.").code == "sends_apologies"
    assert read_rsvp("Apologies; Jane Smith (jane@example.org) will come in my place.").code == \
        "substitute_named"
    assert [calendar_reading(p).code for p in ("ACCEPTED", "DECLINED")] == \
        ["calendar_accepted", "calendar_declined"]
    delegated = rsvp_from_calendar(CalendarReply("m1", CAROL, "DELEGATED", "jo@example.org"))
    assert (delegated.intent, delegated.code) == ("substitute", "calendar_delegated")
    assert read_vote("approve, reject", 2).code == "in_order"
    assert read_vote("I approve both.", 2).code == "votes_read"
    assert read_declaration("I declare an interest in item 3 as a trustee.", 7).code == "declared"
    assert read_declaration("Nothing to declare.", 7).code == "nothing_to_declare"
    assert read_declaration("See you on Thursday.", 7).code == "no_declaration"
    assert [agenda_reply.read_agenda_reply(t).code for t in
            ("Approved, thanks", "No.", "Fine, but add item 4 please", "Hello", "")] == \
        ["agrees", "disagrees", "asks_for_changes", "no_approve", "empty"]


# ----------------------------------------------------------------------------- sentences change nothing


@pytest.mark.parametrize("code", sorted(RSVP_TOLD))
def test_rewording_the_reason_sentence_changes_nothing_a_member_is_told(code: str) -> None:
    written, told = RSVP_TOLD[code]
    reading = calendar_reading(written) if code.startswith("calendar_") else read_rsvp(written)
    for sentence in ("", "reworded entirely", "contradiction: both yes and no",
                     "tentative answer (\"Tentative\" in their calendar)", "empty reply"):
        assert why_unclear(replace(reading, reason=sentence)) == told


def test_rewording_a_vote_or_declaration_reason_changes_nothing_either() -> None:
    for code, (written, told) in VOTE_TOLD.items():
        assert why_vote_unclear(replace(read_vote(written, 2), reason="anything at all")) == told, code
    for code, (written, told) in DECLARATION_TOLD.items():
        reading = replace(read_declaration(written, 7), reason="anything at all")
        assert why_declaration_unclear(reading) == told, code


def _names_a_reason(node: ast.expr) -> bool:
    """``reason``, ``reading.reason``, ``verdict.reason``...: a reason sentence."""
    return (isinstance(node, ast.Name) and node.id == "reason") or \
        (isinstance(node, ast.Attribute) and node.attr == "reason")


def test_no_module_chooses_words_by_matching_a_reason_sentence() -> None:
    """No ``reason.startswith(...)``, ``"..." in reason`` or ``re.search(..., reason)``."""
    found = []
    for folder in ("clerk", "bot", "mail", "scheduler"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Compare) and any(
                        isinstance(op, ast.In | ast.NotIn) and _names_a_reason(right)
                        for op, right in zip(node.ops, node.comparators, strict=True)):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                        (node.func.attr in ("startswith", "endswith", "find", "index", "count")
                         and _names_a_reason(node.func.value))
                        or (node.func.attr in ("search", "match", "fullmatch", "findall")
                            and any(_names_a_reason(a) for a in node.args))):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "words chosen by matching a reason sentence: " + ", ".join(found)


# ----------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("code", sorted(c for c in RSVP_TOLD if not c.startswith("calendar_")))
def test_an_unclear_answer_is_told_why_in_the_words_of_its_code(clerk_app: Clerk, meeting: Meeting,
                                                                code: str) -> None:
    written, told = RSVP_TOLD[code]
    raw = reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), written,
                quote="" if code == "empty" else "Please tell us if you can come.")
    outcome = ingest(clerk_app, raw, source="test")
    assert outcome.status == "unclear", outcome.action
    assert reply_of(clerk_app, meeting, CAROL) != "attend", "nothing recorded"
    [asked] = answers(clerk_app, CAROL, "reply_unclear")
    assert told in text_of(asked)


@pytest.mark.parametrize("code", ["calendar_tentative", "calendar_no_status", "calendar_other"])
def test_a_calendar_answer_that_is_not_yes_or_no_is_told_why(clerk_app: Clerk, meeting: Meeting,
                                                             code: str) -> None:
    partstat, told = RSVP_TOLD[code]
    raw = calendar_reply(meeting.uid, CAROL, "Carol Chowdhury", partstat,
                         to=f"Partnership clerk <{clerk_app.config.mail.from_address}>")
    outcome = ingest(clerk_app, raw, source="test")
    assert outcome.status == "unclear", outcome.action
    [asked] = answers(clerk_app, CAROL, "reply_unclear")
    assert told in text_of(asked)


@pytest.mark.parametrize("code", sorted(VOTE_TOLD))
def test_an_unclear_vote_is_told_why_in_the_words_of_its_code(
        clerk_app: Clerk, voters: dict[str, list[str]], code: str) -> None:  # noqa: F811
    carer = voters["carers"][0]
    written, told = VOTE_TOLD[code]
    assert answer(clerk_app, carer, written) == "unclear"
    asked = ballot_email(clerk_app, carer, "ballot_unclear")
    assert f"We could not count it as a vote because {told}." in text_of(asked)


def test_a_declaration_made_before_the_agenda_is_out_is_told_why_it_was_passed_on(
        clerk_app: Clerk, meeting: Meeting) -> None:
    raw = reply(CAROL, key_of(clerk_app, CAROL, meeting.ref),
                "Yes, I'll be there. I declare an interest in item 2 as a trustee of the Trust.")
    assert ingest(clerk_app, raw, source="test").status == "processed"
    [confirmed] = answers(clerk_app, CAROL, "reply_confirmation")
    assert ("We could not record it against an agenda item (the agenda is not out yet, so its "
            "items have no numbers)") in text_of(confirmed)
