"""Reading replies as their writers meant them (issue 12): sign-offs, signatures and legal footers
never make a clear answer unclear; an answer line that only starts like an attribution is kept;
other clients' quote styles are cut; clerk's own words are never read as the answer; "Sent from
my ..." is a signature only as the closing line; "no-reply" is not a "no".

Whole fixture emails (tests/fixtures/replies/61-81) go through the reading in
test_mail_understanding.py and through ingest in test_fixture_outcomes.py; these are the cases
one layer at a time, and a vote with a corporate footer through ingest.
"""

from __future__ import annotations

import pytest

from clerk.app import Clerk
from clerk.ballots.ratification import current_tally, get_ballot
from clerk.reading.declaration import read_declaration
from clerk.reading.rsvp import read_rsvp
from clerk.reading.vote import read_vote
from mail.mime import parse_message
from mail.quotes import html_to_text, strip_quoted
from tests.test_ballots import inquorate  # noqa: F401  (the fixture)
from tests.test_vote_email import answer, voters  # noqa: F401  (a helper and the fixture)

CORPORATE = (
    "CONFIDENTIALITY NOTICE: This email and any attachments are confidential and may be legally\n"
    "privileged. They are intended solely for the addressee. If you are not the intended recipient,\n"
    "you must not use, disclose or copy it; please notify the sender immediately and delete it.\n"
    "Northshire Carers Trust cannot accept any responsibility for the accuracy of this message and\n"
    "is unable to guarantee that it is free of viruses. No contract may be concluded by email."
)
COUNCIL = (
    "This e-mail and any attachments are intended only for the attention of the addressee(s). Its\n"
    "unauthorised use, disclosure, storage or copying is not permitted. If you are not the intended\n"
    "recipient, please destroy all copies and inform the sender by return e-mail. This e-mail may be\n"
    "monitored, recorded and retained by Northshire County Council. Northshire County Council does\n"
    "not accept liability for any loss or damage caused by viruses."
)
NHS = (
    "*****************************************************************************\n\n"
    "This message may contain confidential information. If you are not the intended recipient please\n"
    "inform the sender that you have received the message in error before deleting it. Please do not\n"
    "disclose, copy or distribute information in this e-mail or take any action in relation to its\n"
    "contents.\n\n"
    "NHSmail is the secure email and directory service available for all NHS staff in England.\n"
    "NHSmail is approved for exchanging patient data and other sensitive information.\n\n"
    "*****************************************************************************"
)
GMAIL_ATTRIBUTION = "On Mon, 11 Jan 2027, 09:12 Partnership Clerk, <clerk+abc@clerk.example.org> wrote:"
INVITATION = """Dear Alice,

Please tell us if you can come. Reply to this email with one of these:

  YES - if you will be there
  NO  - if you cannot come (we will record your apologies)
  or the name and email address of the person coming in your place
  (your substitute), for example: Jo Bloggs, jo.bloggs@example.org
"""
BALLOT = """Please reply to this email by 17:00 on Friday 22 January 2027 with one of:
  APPROVE   to approve all of them
  REJECT    to reject all of them
  ABSTAIN
or decision by decision, for example "1 approve, 2 reject".

You may change your vote until the deadline; the last one we receive counts.
"""


def _quoted(text: str, prefix: str = "> ") -> str:
    return "\n".join(prefix + line if line else prefix.rstrip() for line in text.splitlines())


# --------------------------------------------------------------------------- signatures and disclaimers


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        (f"Yes - ratify\n\nKind regards\nJo Bloggs\nHead of Commissioning\n\n{CORPORATE}", "approve"),
        (f"Yes - ratify\n\nJo Bloggs\n\n{CORPORATE}", "approve"),
        (f"Approve both.\n\nBest wishes\nCllr Tom Hardy\n\n{COUNCIL}", "approve"),
        (f"Reject\n\nRegards\nSam\n\n{NHS}", "reject"),
        (f"I abstain on both.\n\nThanks,\nSam\nNot available on Fridays\n\n{NHS}", "abstain"),
    ],
)
def test_a_footer_never_makes_a_vote_unclear(text: str, choices: str) -> None:
    reading = read_vote(text, 2)
    assert not reading.unclear, reading
    assert reading.choices == {1: choices, 2: choices}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        (f"Yes, I'll be there.\n\n{CORPORATE}", "attend"),
        ("Yes, I will attend.\n\nBest wishes\nHelen\nI work part time, not available Fridays.\n\n"
         f"{CORPORATE}", "attend"),
        (f"Please send my apologies.\n\nKind regards\nTom\n\n{COUNCIL}", "apologies"),
        (f"Yes - I'll be there.\n\nMany thanks\nPriya\nWorking days Mon-Wed\n\n{NHS}", "attend"),
        ("CAUTION: This email originated from outside of the organisation. Do not click links or open\n"
         "attachments unless you recognise the sender.\n\nSorry, I can't make it.", "apologies"),
        ("Thanks\nI'll be there.", "attend"),
        ("Hi Jo,\n\nThanks for this. Unfortunately I can't make it.\n\nRegards\nAmir", "apologies"),
    ],
)
def test_a_footer_never_makes_an_rsvp_unclear(text: str, intent: str) -> None:
    assert read_rsvp(text).intent == intent, read_rsvp(text)


def test_a_postscript_under_the_sign_off_is_still_read() -> None:
    text = f"Approve both.\n\nThanks\nJo Bloggs\nHead of Commissioning\n\nP.S. I reject item 2.\n\n{NHS}"
    assert read_vote(text, 2).choices == {1: "approve", 2: "reject"}


def test_vote_with_a_corporate_footer_is_counted(clerk_app: Clerk, voters) -> None:  # noqa: F811
    carer = voters["carers"][0]
    body = f"Yes - ratify\n\nKind regards\nJo Bloggs\nHead of Commissioning\n\n{CORPORATE}"
    assert answer(clerk_app, carer, body) == "processed"
    tally = current_tally(clerk_app, get_ballot(clerk_app, voters["ref"][0]))
    assert [(d.approve, d.reject) for d in tally.decisions] == [(1, 0), (1, 0)]


# --------------------------------------------------------------------------- attribution-like answers


@pytest.mark.parametrize(
    "answer_line",
    [
        "On leave that week, apologies.",
        "On behalf of Cllr Smith: apologies for this meeting.",
        "Am away that week, sorry - I can't make it.",
        "Jane Smith <jane.smith@example.org> will attend in my place.",
    ],
)
def test_an_answer_directly_above_the_attribution_is_kept(answer_line: str) -> None:
    text = f"{answer_line}\n{GMAIL_ATTRIBUTION}\n\n{_quoted(INVITATION)}\n"
    assert strip_quoted(text) == answer_line


def test_wrapped_attributions_are_still_cut() -> None:
    quote = _quoted(INVITATION)
    wrapped = f"Yes\nOn Mon, 11 Jan 2027 at 09:12, Partnership Clerk <\nclerk@x.org> wrote:\n\n{quote}"
    assert strip_quoted(wrapped) == "Yes"
    three = f"Yes\n\nOn Mon, 11 Jan 2027 at 09:12,\nPartnership Clerk\n<clerk@x.org> wrote:\n\n{quote}"
    assert strip_quoted(three) == "Yes"


# --------------------------------------------------------------------------- other quote styles

ADDR = "clerk+abc@clerk.example.org"


@pytest.mark.parametrize(
    "quote_head",
    [
        f"Partnership Clerk <{ADDR}> wrote:\n\n{INVITATION}",
        f"---- On Mon, 11 Jan 2027 09:12:40 +0000 Partnership Clerk <{ADDR}> wrote ----\n\n{INVITATION}",
        f"*-------- Original Message --------*\n\n{INVITATION}",
        f"2025/3/4 Partnership Clerk <{ADDR}>\n\n{_quoted(INVITATION, '| ')}",
        f"2016-10-24 15:36 GMT+02:00 Partnership Clerk <{ADDR}>:\n\n{INVITATION}",
        f"W dniu 11.01.2027 o 09:12, Partnership Clerk napisał(a):\n{INVITATION}",
        f"11.01.2027 9:12, Partnership Clerk написал:\n{INVITATION}",
        f"Понедельник, 11 января 2027, 9:12 +03:00 от Partnership Clerk <{ADDR}>:\n{INVITATION}",
        f"пн, 11 січ. 2027 о 09:12 Partnership Clerk <{ADDR}> пише:\n\n{INVITATION}",
        f"Partnership Clerk <{ADDR}> schrieb am Mo., 11. Jan.\n2027 um 09:12:\n\n{INVITATION}",
        f"-----Oprindelig meddelelse-----\n{INVITATION}",
        f"-----Ursprungligt meddelande-----\n{INVITATION}",
    ],
)
def test_quote_styles_are_cut(quote_head: str) -> None:
    text = f"Yes, I'll be there.\n\n{quote_head}"
    assert strip_quoted(text) == "Yes, I'll be there."
    assert read_rsvp(strip_quoted(text)).intent == "attend"


def test_a_bare_html_blockquote_is_a_quote() -> None:
    inv = "".join(f"<div>{line}</div>" for line in INVITATION.splitlines())
    html = f"<div>Sorry, I cannot come.</div><div>&nbsp;</div><blockquote>{inv}</blockquote>"
    assert strip_quoted(html_to_text(html), html) == "Sorry, I cannot come."
    bottom = f"<blockquote>{inv}</blockquote><div>Yes, I will attend.</div>"
    assert strip_quoted(html_to_text(bottom), bottom) == "Yes, I will attend."
    raw = (b"From: a@mail.ru\nTo: clerk@x.org\nContent-Type: text/html; charset=utf-8\n\n"
           + html.encode())
    assert parse_message(raw).fresh_text == "Sorry, I cannot come."
    indented = ('<div>Yes.</div><blockquote style="margin:0 0 0 40px;border:none;padding:0px">'
                "<div>I will be there.</div></blockquote>")
    assert strip_quoted(html_to_text(indented), indented) == "Yes.\nI will be there."


# --------------------------------------------------------------------------- clerk's own words


def test_clerks_own_lines_are_never_the_answer() -> None:
    pasted = f"Yes please.\n\n{INVITATION}"
    assert read_rsvp(pasted).intent == "attend"
    assert read_rsvp(f"Sorry, can't come.\n{INVITATION}").intent == "apologies"
    assert read_rsvp(INVITATION).intent == "unclear"
    assert read_vote(f"I approve.\n\n{BALLOT}", 2).choices == {1: "approve", 2: "approve"}
    assert read_vote(f"{BALLOT}\n1 approve, 2 reject", 2).choices == {1: "approve", 2: "reject"}
    example = ('Declarations of interest: if you have an interest in any item on the agenda, reply\n'
               'to the papers when they come, naming the item and the interest, for example:\n'
               '"I declare an interest in item 4 as a trustee of the Carers\' Trust".')
    assert not read_declaration(f"Yes\n\n{example}", 5).found


def test_a_member_may_still_use_clerks_words_as_the_answer() -> None:
    assert read_vote("ABSTAIN", 2).choices == {1: "abstain", 2: "abstain"}
    assert read_vote("APPROVE", 2).choices == {1: "approve", 2: "approve"}
    assert read_rsvp("YES").intent == "attend"


# --------------------------------------------------------------------------- "Sent from my ..."


@pytest.mark.parametrize(
    ("text", "fresh"),
    [
        ("Sent from my desk, is much easier than the phone: I can't make it, sorry.",
         "Sent from my desk, is much easier than the phone: I can't make it, sorry."),
        ("Sent from my desk, as my phone is playing up: I can't make it.\n\nOwen\n\nSent from my iPhone",
         "Sent from my desk, as my phone is playing up: I can't make it.\n\nOwen"),
        ("I'll be there.\nSent from my work laptop, excuse typos", "I'll be there."),
        ("Yes\n\nSent from my iPhone\n\nNO", "Yes"),
        (f"No, sorry.\n\nSent from my Samsung Galaxy phone.\n\n{GMAIL_ATTRIBUTION}\n> YES", "No, sorry."),
    ],
)
def test_sent_from_my_is_a_signature_only_as_the_closing_line(text: str, fresh: str) -> None:
    assert strip_quoted(text) == fresh


# --------------------------------------------------------------------------- no-reply


def test_no_reply_is_not_a_no() -> None:
    assert read_vote("Approve both.\n\nJo\nnoreply: no-reply@northshire.gov.uk", 2).choices == {
        1: "approve", 2: "approve"}
    assert read_vote("Approve. Your first email came from a no-reply address.", 2).choices == {
        1: "approve", 2: "approve"}
    assert read_vote("Approve - no reply needed.", 1).choices == {1: "approve"}
    assert read_rsvp("Yes, I'll attend. My diary answers from no-reply@northshire.gov.uk").intent == "attend"
    assert read_rsvp("No-reply addresses aside: yes, I'll be there").intent == "attend"
    assert read_vote("No", 1).choices == {1: "reject"}
    assert read_rsvp("No, sorry").intent == "apologies"
