"""The pure rules of papers and minutes, and reading replies about agendas and interests."""

from __future__ import annotations

from datetime import date

import pytest

from clerk.app import Clerk
from clerk.reading.agenda_reply import read_agenda_reply
from clerk.reading.declaration import read_declaration
from clerk.rules.papers import (
    PaperSize,
    may_approve_agenda,
    minutes_timing,
    papers_timing,
    plan_attachments,
    wire_size,
)


def test_papers_are_due_by_each_bodys_notice(clerk_app: Clerk) -> None:
    carers, worcs = clerk_app.body("carers"), clerk_app.body("worcs-partnership")
    board = clerk_app.body("cypsp-board")
    thursday = date(2027, 1, 14)
    assert papers_timing(carers, thursday, date(2027, 1, 4)).due_on == date(2027, 1, 5)  # 7 w.d.
    assert papers_timing(worcs, thursday, date(2027, 1, 4)).due_on == date(2027, 1, 7)  # 7 days
    assert papers_timing(board, thursday, date(2027, 1, 4)).due_on == date(2027, 1, 7)  # a week
    early = papers_timing(carers, thursday, date(2027, 1, 4))
    assert not early.send_now and not early.late
    on_time = papers_timing(carers, thursday, date(2027, 1, 5))
    assert on_time.send_now and not on_time.late
    late = papers_timing(carers, thursday, date(2027, 1, 7))
    assert late.send_now and late.late
    assert late.reason == ("sent late on Thursday 7 January 2027, 2 days after they were due "
                           "(Tuesday 5 January 2027, 7 working days before the meeting)")


def test_minutes_timing(clerk_app: Clerk) -> None:
    board = clerk_app.body("cypsp-board")  # within two weeks
    held = date(2027, 1, 14)
    assert not minutes_timing(board, held, date(2027, 1, 28)).late
    assert minutes_timing(board, held, date(2027, 1, 29)).late
    assert minutes_timing(clerk_app.body("worcs-partnership"), held, date(2027, 6, 1)).due_on \
        is None


@pytest.mark.parametrize(("body", "office", "ok"), [
    ("carers", "chair", True), ("carers", "vice_chair", False), ("carers", "", False),
    ("cypsp-jcb", "vice_chair", True), ("cypsp-jcb", "chair", True),
    ("worcs-partnership", "chair", False),  # this body does not ask the Chair
])
def test_who_may_approve_the_agenda(clerk_app: Clerk, body: str, office: str, ok: bool) -> None:
    verdict = may_approve_agenda(clerk_app.body(body), office)
    assert verdict.ok is ok and verdict.reason


def test_attachments_up_to_the_limit_as_sent_then_linked_separate_or_held() -> None:
    """The limit is what the email weighs on the wire: base64 adds about a third."""
    papers = [PaperSize(1, "a.pdf", 4_000_000), PaperSize(2, "b.pdf", 3_500_000),
              PaperSize(3, "c.pdf", 6_000_000), PaperSize(4, "d.pdf", 12_000_000),
              PaperSize(5, "e.pdf", 7_500_000)]
    assert 5_470_000 < wire_size("a.pdf", 4_000_000) < 5_480_000
    plan = plan_attachments(papers, 10_000_000, "separate", can_link=False)
    # 4 MB + 3.5 MB is 7.5 MB of files but about 10.3 MB in the email: over 10 MB
    assert plan.ways == {1: "attached", 2: "separate", 3: "separate", 4: "held", 5: "held"}
    assert "would exceed 10 MB" in plan.reasons[2]
    assert "e.pdf is 7.5 MB, about 10.3 MB once encoded for email" in plan.reasons[5]
    assert plan.reasons[4].startswith("not sent: too large to email")
    assert "there is no web address to link to" in plan.reasons[4]
    # with a place to link to, what cannot go on its own is linked instead of held
    linkable = plan_attachments(papers, 10_000_000, "separate", can_link=True)
    assert linkable.ways == {1: "attached", 2: "separate", 3: "separate", 4: "link", 5: "link"}
    linked = plan_attachments(papers, 10_000_000, "link", can_link=True)
    assert set(linked.other) == {2, 3, 4, 5} and linked.reasons[4].startswith("linked")
    assert all(linked.ways[n] == "link" for n in linked.other)
    nowhere = plan_attachments(papers, 10_000_000, "link", can_link=False)
    assert nowhere.ways[3] == "separate" and "no link_base_url" in nowhere.reasons[3]
    assert nowhere.ways[4] == "held"


@pytest.mark.parametrize(("text", "items", "interest"), [
    ("I declare an interest in item 3 as a trustee of Worcester Carers' Trust.", (3,),
     "a trustee of Worcester Carers' Trust"),
    ("I have an interest to declare on items 3 and 5: my wife works for Age UK.", (3, 5),
     "my wife works for Age UK"),
    ("As a governor of the school, I declare an interest in item 4.", (4,),
     "a governor of the school"),
    ("Conflict of interest - item 6 - I chair the provider's board", (6,),
     "I chair the provider's board"),
])
def test_reading_a_declaration(text: str, items: tuple[int, ...], interest: str) -> None:
    reading = read_declaration(f"Hello,\n\n{text}\n\nBest wishes\nDev", 7)
    [declared] = reading.declarations
    assert (declared.items, declared.interest) == (items, interest)


def test_declarations_that_cannot_be_recorded() -> None:
    assert read_declaration("I declare an interest in the grants item.", 7).unclear
    wrong = read_declaration("I declare an interest in item 9 as a trustee.", 7)
    assert wrong.unclear and "item 9 is not on the agenda" in wrong.reason
    assert read_declaration("No interests to declare, thanks.", 7).nothing_to_declare
    assert not read_declaration("See you on Thursday.", 7).found


@pytest.mark.parametrize(("text", "intent"), [
    ("APPROVE", "approve"), ("Approved, thanks.\nAlice", "approve"),
    ("Yes, that's fine - go ahead", "approve"), ("Looks good to me", "approve"),
    ("Approve, but please add the budget item", "changes"),
    ("Can we move item 4 before item 3?", "changes"), ("No, not yet", "changes"),
    ("I do not approve this", "changes"), ("I'm on leave next week", "changes"), ("", "empty"),
])
def test_reading_the_chairs_answer(text: str, intent: str) -> None:
    assert read_agenda_reply(text).intent == intent
