"""Understanding incoming email: fixture replies end to end, plus unit tests of each layer."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest

from clerk.reading.rsvp import read_rsvp
from clerk.reading.vote import read_vote
from mail.automation import AutomationVerdict, classify_automation
from mail.keys import find_reply_key
from mail.mime import decode_bytes, parse_message
from mail.quotes import html_to_text, strip_quoted

ROOT = Path(__file__).resolve().parents[1]

FIXTURES = ROOT / "tests" / "fixtures" / "replies"
EXPECTED: dict[str, dict[str, object]] = tomllib.loads((FIXTURES / "expected.toml").read_text("utf-8"))
OWN = {"clerk@clerk.example.org"}
KEY = "0123456789abcdef0123456789abcdef"
# the invitation pasted below the answer with no mark at all: it stays in the text, and the
# reading skips clerk's own lines in it (test_reading_replies.py)
UNMARKED_QUOTE = {"80_invitation_pasted_unquoted.eml"}


def outcome(raw: bytes) -> tuple[str, str | None, object]:
    """(kind, substitute email, verdict-or-reading) the way the ingest pipeline decides."""
    msg = parse_message(raw)
    verdict = classify_automation(msg, OWN)
    if verdict is not None:
        return verdict.kind, None, verdict
    reading = read_rsvp(msg.fresh_text)
    return reading.intent, reading.substitute_email, reading


# --------------------------------------------------------------------------- fixtures


def test_fixture_set_is_complete() -> None:
    files = {p.name for p in FIXTURES.glob("*.eml")}
    assert len(files) >= 45
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_outcome(name: str) -> None:
    expected = EXPECTED[name]
    raw = (FIXTURES / name).read_bytes()
    msg = parse_message(raw)
    kind, substitute_email, detail = outcome(raw)
    assert kind == expected["kind"], f"{name}: {detail}\nfresh text: {msg.fresh_text!r}"
    assert msg.from_addr == expected["from"]
    assert (find_reply_key(msg) or "") == expected["reply_key"]
    if "substitute_email" in expected:
        assert substitute_email == expected["substitute_email"]
    if "failed_recipients" in expected:
        assert isinstance(detail, AutomationVerdict)
        assert detail.failed_recipients == expected["failed_recipients"]
        assert detail.permanent == expected["permanent"]
    if "from_name" in expected:
        assert msg.from_name == expected["from_name"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_quotes_never_leak(name: str) -> None:
    """The quoted invitation says 'YES ... NO ... Yes, I will attend': it must never be read."""
    if EXPECTED[name]["kind"] in ("own-mail", "bounce") or name in UNMARKED_QUOTE:
        return
    fresh = parse_message((FIXTURES / name).read_bytes()).fresh_text
    assert "Northshire Partnership Secretariat" not in fresh
    assert "Dear Board member" not in fresh


# --------------------------------------------------------------------------- mime


def test_parse_message_fields() -> None:
    msg = parse_message((FIXTURES / "11_outlook_desktop_yes_cp1252.eml").read_bytes())
    assert msg.message_id.startswith("DB9PR02MB7001") and "<" not in msg.message_id
    assert msg.in_reply_to == [f"rsvp.{KEY}@clerk.example.org"]
    assert msg.references == [f"rsvp.{KEY}@clerk.example.org"]
    assert msg.from_name == "Kwame Mensah"
    assert msg.to_addrs == [f"clerk+{KEY}@clerk.example.org"]
    assert msg.date is not None and msg.date.tzinfo is not None
    assert "Yes \u2013 I\u2019ll be there." in msg.text
    assert msg.fresh_text == "Yes \u2013 I\u2019ll be there.\n\nKind regards\nKwame"
    assert msg.header("x-auto-response-suppress") == "All"
    assert len(msg.raw_sha256) == 64


def test_parse_message_charsets_and_html() -> None:
    assert "Zo\u00eb" in parse_message((FIXTURES / "25_wrong_charset_latin1_is_utf8.eml").read_bytes()).text
    assert "Ren\u00e9e" in parse_message((FIXTURES / "26_wrong_charset_utf8_is_cp1252.eml").read_bytes()).text
    assert "D\u00e9j\u00e0" in parse_message((FIXTURES / "27_unknown_charset.eml").read_bytes()).text
    html_only = parse_message((FIXTURES / "21_html_only_style_script.eml").read_bytes())
    assert "color:green" not in html_only.text and "answer=" not in html_only.text
    assert html_only.fresh_text.startswith("Count me in")


def test_parse_message_malformed_never_raises() -> None:
    msg = parse_message((FIXTURES / "55_malformed_headers.eml").read_bytes())
    assert msg.date is None
    assert msg.message_id == "CAbrokenid0123@mail.example.org"
    assert msg.from_name == "Z\u00e9lia Okonkwo"
    for junk in (
        b"",
        b"\x00\xff\xfe garbage",
        b"From: \r\n\r\n",
        b"Content-Type: multipart/mixed\n\nno boundary",
        b"Subject: =?utf-8?b?!!!?=\nFrom: <>\nDate: 99 Foo\n\nhi",
        b"Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n\n!!notbase64",
    ):
        parsed = parse_message(junk)
        assert isinstance(parsed.text, str)


def test_header_decoding() -> None:
    raw = (
        b"From: =?iso-8859-1?q?Jos=E9?= =?utf-8?b?TcO8bGxlcg==?= <JOSE@Example.ORG>\n"
        b"Subject: Re: r\xc3\xa9union \xe9t\xe9\n"
        b'To: "Smith, Jane" <jane@example.org>, =?utf-8?q?Doe=2C_J?= <j.doe@example.org>\n\nhi'
    )
    msg = parse_message(raw)
    assert msg.from_addr == "jose@example.org"
    assert msg.from_name == "Jos\u00e9M\u00fcller"  # RFC 2047: whitespace between encoded words goes
    assert msg.subject == "Re: r\u00e9union \u00e9t\u00e9"  # mixed UTF-8 and windows-1252 bytes
    assert msg.to_addrs == ["jane@example.org", "j.doe@example.org"]
    assert msg.header("X-Missing", "none") == "none"


def test_calendar_part_is_kept() -> None:
    raw = (
        b"From: a@example.org\nContent-Type: multipart/alternative; boundary=b\n\n--b\n"
        b"Content-Type: text/plain\n\n\n--b\nContent-Type: text/calendar; method=REPLY\n\n"
        b"BEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n--b--\n"
    )
    msg = parse_message(raw)
    assert "METHOD:REPLY" in msg.calendar and msg.text == ""


def test_mangled_fixtures_never_raise() -> None:
    """Bit flips, truncations and splices of real replies: every layer must cope."""
    rng = random.Random(2027)
    raws = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    for _ in range(300):
        raw = bytearray(rng.choice(raws))
        for _ in range(rng.randint(1, 20)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        cut = rng.randrange(len(raw))
        msg = parse_message(bytes(raw[: rng.randrange(cut, len(raw) + 1)]))
        classify_automation(msg, OWN)
        find_reply_key(msg)
        read_rsvp(msg.fresh_text)
        read_vote(msg.fresh_text, 3)


def test_attachments_are_listed_not_read() -> None:
    msg = parse_message((FIXTURES / "36_mixed_with_attachment.eml").read_bytes())
    assert msg.attachments == ["DOI form.pdf", "notes.txt"]
    assert "must not be read" not in msg.text


def test_decode_bytes_fallbacks() -> None:
    assert decode_bytes("caf\u00e9".encode("utf-8"), "iso-8859-1") == "caf\u00e9"
    assert decode_bytes("caf\u00e9 \u2019".encode("cp1252"), "utf-8") == "caf\u00e9 \u2019"
    assert decode_bytes(b"caf\xe9", "no-such-charset") == "caf\u00e9"
    assert decode_bytes(b"\x81\x8d", None) == "\x81\x8d"


# --------------------------------------------------------------------------- keys


def test_find_reply_key_prefers_recipient_then_in_reply_to() -> None:
    msg = parse_message(
        f"From: a@example.org\nTo: clerk+{KEY}@clerk.example.org\n"
        f"In-Reply-To: <rsvp.{'f' * 32}@clerk.example.org>\n\nyes".encode()
    )
    assert find_reply_key(msg) == KEY
    only_id = parse_message(
        "From: a@example.org\nTo: clerk@clerk.example.org\n"
        f"References: <x@y> <vote.{'a' * 32}@clerk.example.org>\n"
        "\nyes".encode()
    )
    assert find_reply_key(only_id) == "a" * 32
    assert find_reply_key(only_id, local_part="secretary") == "a" * 32
    other = parse_message(f"From: a@example.org\nTo: board+{KEY}@clerk.example.org\n\nyes".encode())
    assert find_reply_key(other) is None
    assert find_reply_key(other, local_part="board") == KEY


# --------------------------------------------------------------------------- automation


def _auto(headers: str, body: str = "Hello") -> str | None:
    verdict = classify_automation(parse_message(f"{headers}\n\n{body}".encode()), OWN)
    return None if verdict is None else verdict.kind


def test_automation_checks() -> None:
    base = "From: Person <person@example.org>\nTo: clerk@clerk.example.org\nSubject: Re: Invitation"
    assert _auto(base) is None
    assert _auto(base + "\nX-Auto-Response-Suppress: All") is None
    assert _auto(base + "\nAuto-Submitted: no") is None
    assert _auto(base + "\nAuto-Submitted: auto-replied") == "auto-reply"
    assert _auto(base + "\nX-Autoreply: yes") == "auto-reply"
    assert _auto(base + "\nPrecedence: junk") == "auto-reply"
    assert _auto(base + "\nPrecedence: list") == "list"
    assert _auto(base + "\nList-Id: <board.lists.example.org>") == "list"
    assert _auto(base + "\nReturn-Path: <>") == "auto-reply"
    assert _auto(base.replace("Re: Invitation", "Autosvar: Invitation")) == "auto-reply"
    assert _auto(base.replace("person@example.org", "CLERK+abc@Clerk.Example.org")) == "own-mail"
    assert _auto(base.replace("person@example.org", "postmaster@example.org")) == "bounce"


def test_automation_reason_names_the_check() -> None:
    msg = parse_message((FIXTURES / "43_ooo_gmail_vacation.eml").read_bytes())
    verdict = classify_automation(msg, OWN)
    assert verdict is not None and verdict.check == "auto_submitted"
    assert "Auto-Submitted: auto-replied" in verdict.reason and "RFC 3834" in verdict.reason


def test_dsn_statuses() -> None:
    permanent = classify_automation(
        parse_message((FIXTURES / "46_bounce_permanent_dsn.eml").read_bytes()), OWN
    )
    assert permanent is not None and permanent.statuses == {"d.jones@example.org": "5.1.1"}
    delayed = classify_automation(parse_message((FIXTURES / "47_bounce_delayed_dsn.eml").read_bytes()), OWN)
    assert (
        delayed is not None and not delayed.permanent and delayed.statuses == {"r.singh@example.org": "4.4.1"}
    )


# --------------------------------------------------------------------------- quotes

GMAIL = "Yes please\n\nOn Mon, 11 Jan 2027 at 09:12, Clerk <clerk@x.org> wrote:\n\n> reply YES or NO\n"


@pytest.mark.parametrize(
    ("text", "fresh"),
    [
        (GMAIL, "Yes please"),
        ("Yes\n\nOn Mon, 11 Jan 2027 at 09:12, Partnership Clerk <\nclerk@x.org> wrote:\n> NO\n", "Yes"),
        ("Oui\n\nLe lun. 11 janv. 2027 à 09:12, Clerk <c@x.org> a écrit :\n> NO\n", "Oui"),
        ("Ja\n\nAm 11.01.2027 um 09:12 schrieb Clerk <c@x.org>:\n> NO\n", "Ja"),
        ("Yes\n\nOn 14 Jan 2027, at 10:00, Name <a@b.org> wrote:\n\n> NO\n", "Yes"),
        ("Yes\n\nOn 14/01/2027 10:00, Name wrote:\n> NO\n", "Yes"),
        ("On 14/01/2027 10:00, Name wrote:\n> Will you come?\n\nYes I will\n", "Yes I will"),
        ("> Will you come?\nYes\n> And lunch?\nNo thanks\n", "Yes\nNo thanks"),
        (
            "Yes\n\n________________________________\nFrom: Clerk\nSent: Monday\nTo: me\nSubject: x\n\nNO",
            "Yes",
        ),
        ("Yes\n\nFrom: Clerk <c@x.org>\nSent: 11 January 2027 09:12\nTo: Me\n\nreply NO", "Yes"),
        ("*From:* Clerk\n*Sent:* Monday\nNO", ""),
        ("Yes\n-----Original Message-----\nFrom: c\nNO", "Yes"),
        ("Yes\n-------- Original message --------\nNO", "Yes"),
        ("Yes\n---------- Forwarded message ---------\nNO", "Yes"),
        ("Yes\n\nBegin forwarded message:\n\nNO", "Yes"),
        ("Yes\n-- \nJohn Smith\nNO", "Yes"),
        ("Yes\n\nSent from my iPhone\n\nNO", "Yes"),
        ("Yes\n\nSent from Outlook for Android\nNO", "Yes"),
        ("Yes\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\nNO", "Yes"),
        ("Yes\n\nSent from my Galaxy\nNO", "Yes"),
        ("Yes\n\nSent from Yahoo Mail on Android\nNO", "Yes"),
        ("On Monday I will attend, thanks.\nSee you", "On Monday I will attend, thanks.\nSee you"),
        ("Plain answer, nothing quoted.", "Plain answer, nothing quoted."),
    ],
)
def test_strip_quoted_plain(text: str, fresh: str) -> None:
    assert strip_quoted(text) == fresh


def test_strip_quoted_uses_html_separators() -> None:
    converted = "Ja\n\nVon: Clerk\nGesendet: Montag\nreply NO"  # the plain rules already cut this one
    assert strip_quoted(converted) == "Ja"
    unknown_plain = "Yes I will come\nClerk wrote on Monday\nreply NO"
    html = (
        '<div>Yes I will come</div><div id="appendonsend"></div><hr>'
        '<div id="divRplyFwdMsg"><b>Clerk wrote on Monday</b></div><p>reply NO</p>'
    )
    assert strip_quoted(unknown_plain, html) == "Yes I will come"
    word = (
        '<p class=MsoNormal>Sorry<o:p></o:p></p><div style="border:none;border-top:solid #E1E1E1 1.0pt">'
        "<p>Clerk said</p></div><p>reply YES</p>"
    )
    assert strip_quoted(html_to_text(word), word) == "Sorry"
    gmail = '<div dir="ltr">Yes</div><div class="gmail_quote">quoted YES</div>'
    assert strip_quoted("Yes\nquoted YES", gmail) == "Yes"


def test_html_to_text() -> None:
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body><p>One<br>Two</p>"
        "<div>Three&nbsp;&amp; four</div><script>x()</script>five <b>six</b></body></html>"
    )
    assert html_to_text(html) == "One\nTwo\nThree & four\nfive six"


# --------------------------------------------------------------------------- read_rsvp


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("yes", "attend"),
        ("YES", "attend"),
        ("Yes, I'll be there", "attend"),
        ("Yes please count me in", "attend"),
        ("count me in", "attend"),
        ("I will attend", "attend"),
        ("I\u2019ll be there", "attend"),
        ("see you there", "attend"),
        ("Happy to attend.", "attend"),
        ("I can make it", "attend"),
        ("Wouldn't miss it!", "attend"),
        ("Can't wait to attend!", "attend"),
        ("No problem, I'll be there", "attend"),
        ("Apologies for the late reply - I will attend.", "attend"),
        ("Yes I'll attend. No dietary requirements.", "attend"),
        ("Sure, I'll come", "attend"),
        ("I confirm my attendance", "attend"),
        ("Accept", "attend"),
        ("I'm in", "attend"),
        ("will be there", "attend"),
        ("I'm available", "attend"),
        ("Yes, but I'll be 15 minutes late", "attend"),
        ("no", "apologies"),
        ("No, sorry", "apologies"),
        ("Nope", "apologies"),
        ("Sorry, can't make it", "apologies"),
        ("I cannot attend", "apologies"),
        ("unable to attend", "apologies"),
        ("please send my apologies", "apologies"),
        ("apologies", "apologies"),
        ("I'm afraid I won't be able to come", "apologies"),
        ("I won't be there", "apologies"),
        ("I will not be there", "apologies"),
        ("not able to attend", "apologies"),
        ("I'm not attending", "apologies"),
        ("I'd love to come but I can't", "apologies"),
        ("I'm on leave that week", "apologies"),
        ("I have a diary clash", "apologies"),
        ("Afraid not.", "apologies"),
        ("Sorry, I can't.", "apologies"),
        ("I will be unable to join", "apologies"),
        ("Count me out this time", "apologies"),
        ("I have another meeting", "apologies"),
        ("I don't think I can make it", "apologies"),
        ("Unfortunately not", "apologies"),
        ("I can't make it, Jane Smith can't either", "apologies"),
        ("Sorry, can't attend. Contact me at john@example.org if you can.", "apologies"),
        ("yes... actually no", "unclear"),
        ("Yes. Actually, I can't make it after all", "unclear"),
        ("I'll be there. Sorry, I won't be there.", "unclear"),
        ("Maybe", "unclear"),
        ("I might be able to come", "unclear"),
        ("Not sure yet, will confirm", "unclear"),
        ("What time does it start?", "unclear"),
        ("Is there parking?", "unclear"),
        ("", "unclear"),
        ("Thanks", "unclear"),
    ],
)
def test_read_rsvp_phrasings(text: str, intent: str) -> None:
    reading = read_rsvp(text)
    assert reading.intent == intent, reading
    assert reading.reason
    if intent in ("attend", "apologies"):
        assert reading.evidence and reading.evidence.lower() in text.lower().replace("\u2019", "'")


@pytest.mark.parametrize(
    ("text", "name", "email"),
    [
        ("Jane Smith <jane@org.uk> will come in my place", "Jane Smith", "jane@org.uk"),
        ("I'll send Jane Smith (jane.smith@example.org) instead", "Jane Smith", "jane.smith@example.org"),
        ("my substitute will be jane@example.org", None, "jane@example.org"),
        ("Jane Smith, jane@example.org, will attend on my behalf", "Jane Smith", "jane@example.org"),
        (
            "I can't attend. My deputy Raj Patel (raj.patel@example.org) will go instead of me.",
            "Raj Patel",
            "raj.patel@example.org",
        ),
        (
            "Sorry, I'm away. Sam Green (sam.green@example.org) will be attending instead.",
            "Sam Green",
            "sam.green@example.org",
        ),
        (
            "Please note Cllr Ann Lee will deputise for me.\nHer address is ann.lee@example.org",
            "Cllr Ann Lee",
            "ann.lee@example.org",
        ),
        ("sam@example.org (Sam Green) will stand in for me", "Sam Green", "sam@example.org"),
        ("I can't make it but my colleague Anne (anne@example.org) can", "Anne", "anne@example.org"),
        ("No, but Raj Patel (raj@example.org) will attend", "Raj Patel", "raj@example.org"),
        ("Could Bob (bob@example.org) attend in my place?", "Bob", "bob@example.org"),
        ("Substitute: Bob Lee <bob@example.org>", "Bob Lee", "bob@example.org"),
    ],
)
def test_read_rsvp_substitutes(text: str, name: str | None, email: str) -> None:
    reading = read_rsvp(text)
    assert reading.intent == "substitute", reading
    assert reading.substitute_email == email
    assert reading.substitute_name == name


def test_read_rsvp_substitute_without_address_is_unclear() -> None:
    reading = read_rsvp("Tom Baker will come in my place.")
    assert reading.intent == "unclear"
    assert reading.substitute_name == "Tom Baker"
    assert "email address" in reading.reason
    nobody = read_rsvp("I will send a substitute")
    assert nobody.intent == "unclear" and "no name" in nobody.reason
    implied = read_rsvp("I won't be there but Jane Smith will attend")
    assert implied.intent == "unclear" and implied.substitute_name == "Jane Smith"
    both = read_rsvp("I will attend. Also Jane Smith (jane@example.org) will come in my place.")
    assert both.intent == "unclear" and "contradiction" in both.reason


def test_read_rsvp_contradiction_reason() -> None:
    reading = read_rsvp("Yes... actually no, sorry.")
    assert reading.intent == "unclear" and "contradiction" in reading.reason
    assert read_rsvp("What?").reason.startswith("nothing recognised")


def test_read_rsvp_reads_only_first_lines() -> None:
    text = "\n".join(["Some news about our trust."] * 45 + ["I will attend"])
    assert read_rsvp(text).intent == "unclear"
    assert read_rsvp("\n\n\n".join(["Hello"] * 10 + ["I will attend"])).intent == "attend"


def test_read_rsvp_third_party_attending_is_not_a_substitute() -> None:
    reading = read_rsvp("Alice forwarded this to me as she is on leave. I will attend in her place.")
    assert reading.intent == "attend"


# --------------------------------------------------------------------------- read_vote


@pytest.mark.parametrize(
    ("text", "n", "choices"),
    [
        ("I agree with all of them", 3, {1: "approve", 2: "approve", 3: "approve"}),
        ("approve", 2, {1: "approve", 2: "approve"}),
        ("Yes to all", 3, {1: "approve", 2: "approve", 3: "approve"}),
        ("yes", 1, {1: "approve"}),
        ("against", 2, {1: "reject", 2: "reject"}),
        ("I abstain", 2, {1: "abstain", 2: "abstain"}),
        ("1 approve, 2 reject", 2, {1: "approve", 2: "reject"}),
        ("1 yes 2 no 3 abstain", 3, {1: "approve", 2: "reject", 3: "abstain"}),
        ("approve 1 and 3, reject 2", 3, {1: "approve", 2: "reject", 3: "approve"}),
        ("approve 1, 2 and 3; reject 4", 4, {1: "approve", 2: "approve", 3: "approve", 4: "reject"}),
        ("approve all except 2 which I reject", 3, {1: "approve", 2: "reject", 3: "approve"}),
        ("Approve everything, but abstain on item 3", 3, {1: "approve", 2: "approve", 3: "abstain"}),
        ("Decision 1: approve\nDecision 2: against", 2, {1: "approve", 2: "reject"}),
        ("I do not approve", 2, {1: "reject", 2: "reject"}),
        ("No objections", 2, {1: "approve", 2: "approve"}),
        ("I support the first and oppose the second", 2, {1: "approve", 2: "reject"}),
        ("Happy to approve all 3 decisions", 3, {1: "approve", 2: "approve", 3: "approve"}),
        ("Happy with all three, thanks", 3, {1: "approve", 2: "approve", 3: "approve"}),
        ("For 1 and 2, against 3", 3, {1: "approve", 2: "approve", 3: "reject"}),
        ("Decision 2: I do not agree. Others fine.", 3, {1: "approve", 2: "reject", 3: "approve"}),
        ("I support all except the second, which I oppose", 3, {1: "approve", 2: "reject", 3: "approve"}),
        ("Approve, approve, reject", 3, {1: "approve", 2: "approve", 3: "reject"}),
        ("1. Approve 2. Approve 3. Reject", 3, {1: "approve", 2: "approve", 3: "reject"}),
        (
            "Item 1 - approve; item 2 - approve; item 3 - abstain",
            3,
            {1: "approve", 2: "approve", 3: "abstain"},
        ),
        ("approve no. 2, reject no. 1 and no. 3", 3, {1: "reject", 2: "approve", 3: "reject"}),
        ("Thanks for the papers. I approve.", 2, {1: "approve", 2: "approve"}),
        ("I approve the minutes of 14 March", 2, {1: "approve", 2: "approve"}),
    ],
)
def test_read_vote(text: str, n: int, choices: dict[int, str]) -> None:
    reading = read_vote(text, n)
    assert not reading.unclear, reading
    assert reading.choices == choices
    assert reading.evidence


@pytest.mark.parametrize(
    ("text", "n", "why"),
    [
        ("against number 2", 3, "no answer for decision 1, 3"),
        ("approve 4", 3, "does not exist"),
        ("approve all except 2", 3, "no answer for decision 2"),
        ("I approve. Actually no, I reject.", 2, "contradiction"),
        ("1 approve, 1 reject", 1, "contradiction"),
        ("When is the deadline?", 2, "no vote recognised"),
        ("", 2, "no vote recognised"),
    ],
)
def test_read_vote_unclear(text: str, n: int, why: str) -> None:
    reading = read_vote(text, n)
    assert reading.unclear and reading.choices == {}
    assert why in reading.reason, reading
