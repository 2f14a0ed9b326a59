"""Every fixture reply (tests/fixtures/replies) through the whole ingest path, end to end: what is
recorded, refused or ignored, and which email goes back to whom.

Each fixture gets a fresh database with a Carers Partnership meeting on 21 January 2027 (the
meeting the fixtures answer) and its reply key issued to the member it was sent to: the sender,
except where the fixture is about someone else using a member's key (a forwarded invitation, a
PA, a spoofed display name). test_mail_understanding.py checks the reading itself.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from clerk.app import Clerk
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.people.membership import import_members
from clerk.times import parse_local, to_iso
from mail.ingest import ingest
from mail.mime import parse_message

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "replies"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((FIXTURES / "expected.toml").read_text("utf-8"))

CONFIRM, ASK, REFUSE = "reply_confirmation", "reply_unclear", "reply_refused"

# fixture: (status, what is recorded for the key's owner afterwards, the answer sent back)
OUTCOMES: dict[str, tuple[str, str, str | None]] = {
    "01_gmail_yes.eml": ("processed", "attend", CONFIRM),
    "02_gmail_sorry_cant.eml": ("processed", "apologies", CONFIRM),
    "03_gmail_wrapped_attribution.eml": ("processed", "attend", CONFIRM),
    "04_gmail_french_client.eml": ("processed", "attend", CONFIRM),
    "05_gmail_bare_no.eml": ("processed", "apologies", CONFIRM),
    "06_gmail_contradiction.eml": ("unclear", "no_reply", ASK),
    "07_gmail_substitute_angle.eml": ("processed", "substitute", CONFIRM),
    "08_gmail_tentative.eml": ("unclear", "no_reply", ASK),
    "09_gmail_late_reply_attend.eml": ("processed", "attend", CONFIRM),
    "10_gmail_auto_submitted_no.eml": ("processed", "attend", CONFIRM),
    "11_outlook_desktop_yes_cp1252.eml": ("processed", "attend", CONFIRM),
    "12_outlook_desktop_apologies.eml": ("processed", "apologies", CONFIRM),
    "13_outlook_deputy_mailto.eml": ("processed", "substitute", CONFIRM),
    "14_outlook_word_html_only.eml": ("processed", "apologies", CONFIRM),
    "15_outlook_original_message.eml": ("processed", "apologies", CONFIRM),
    "16_outlook_ios.eml": ("processed", "attend", CONFIRM),
    "17_outlook_android_base64.eml": ("processed", "apologies", CONFIRM),
    "18_apple_mail.eml": ("processed", "attend", CONFIRM),
    "19_iphone_wont_be_there.eml": ("processed", "apologies", CONFIRM),
    "20_thunderbird_flowed_bottom_post.eml": ("processed", "attend", CONFIRM),
    "21_html_only_style_script.eml": ("processed", "attend", CONFIRM),
    "22_base64_plain.eml": ("processed", "attend", CONFIRM),
    "23_base64_html_only.eml": ("processed", "apologies", CONFIRM),
    "24_windows1252_8bit.eml": ("processed", "apologies", CONFIRM),
    "25_wrong_charset_latin1_is_utf8.eml": ("processed", "attend", CONFIRM),
    "26_wrong_charset_utf8_is_cp1252.eml": ("processed", "attend", CONFIRM),
    "27_unknown_charset.eml": ("processed", "attend", CONFIRM),
    "28_substitute_send_instead.eml": ("processed", "substitute", CONFIRM),
    "29_substitute_my_substitute.eml": ("processed", "substitute", CONFIRM),
    "30_substitute_on_my_behalf.eml": ("processed", "substitute", CONFIRM),
    "31_substitute_no_email.eml": ("unclear", "no_reply", ASK),
    "32_substitute_deputise.eml": ("processed", "substitute", CONFIRM),
    "33_question_only.eml": ("unclear", "no_reply", ASK),
    "34_empty_reply.eml": ("unclear", "no_reply", ASK),
    "35_attachment_only.eml": ("unclear", "no_reply", ASK),
    "36_mixed_with_attachment.eml": ("processed", "attend", CONFIRM),
    "37_very_long_thread.eml": ("processed", "attend", CONFIRM),
    # Bob answers Alice's forwarded invitation: not hers to give; Bob is told why
    "38_forwarded_answered_by_other.eml": ("refused", "no_reply", REFUSE),
    # a PA sends apologies with her manager's key: refused, the PA is told to ask the member
    "39_pa_apologies_for_member.eml": ("refused", "no_reply", REFUSE),
    "40_yahoo_mail.eml": ("processed", "attend", CONFIRM),
    "41_ooo_outlook_auto_submitted.eml": ("ignored", "no_reply", None),
    "42_ooo_outlook_subject_only.eml": ("ignored", "no_reply", None),
    "43_ooo_gmail_vacation.eml": ("ignored", "no_reply", None),
    "44_ooo_x_autorespond.eml": ("ignored", "no_reply", None),
    "45_ooo_german_subject.eml": ("ignored", "no_reply", None),
    "46_bounce_permanent_dsn.eml": ("processed", "no_reply", None),
    "47_bounce_delayed_dsn.eml": ("ignored", "no_reply", None),
    "48_bounce_plain_mailer_daemon.eml": ("processed", "no_reply", None),
    "49_mailing_list.eml": ("ignored", "no_reply", None),
    "50_own_mail_loop.eml": ("ignored", "no_reply", None),
    # "clerk@clerk.example.org" <mallory.north@...> using Alice's key: the address counts
    "51_spoofed_display_name.eml": ("refused", "no_reply", REFUSE),
    "52_key_in_reply_to_only.eml": ("processed", "attend", CONFIRM),
    # no key: Xavier is a member (of the Worcestershire Partnership, in the example members), so
    # he is told to answer the invitation itself; a stranger would get no answer
    "53_no_key_question.eml": ("refused", "no_reply", REFUSE),
    "54_key_in_delivered_to.eml": ("processed", "attend", CONFIRM),
    "55_malformed_headers.eml": ("processed", "attend", CONFIRM),
    "56_galaxy_cant_come.eml": ("processed", "apologies", CONFIRM),
    "57_thunderbird_german_attribution.eml": ("processed", "apologies", CONFIRM),
    "58_substitute_attending_instead.eml": ("processed", "substitute", CONFIRM),
    "59_empty_plain_part_html_answer.eml": ("processed", "apologies", CONFIRM),
    "60_wouldnt_miss_it.eml": ("processed", "attend", CONFIRM),
    # issue 12: footers and disclaimers, attribution-like answers, other clients' quote styles
    "61_nhs_footer_yes.eml": ("processed", "attend", CONFIRM),
    "62_council_footer_apologies.eml": ("processed", "apologies", CONFIRM),
    "63_corporate_footer_yes.eml": ("processed", "attend", CONFIRM),
    "64_android_on_leave.eml": ("processed", "apologies", CONFIRM),
    "65_android_on_behalf.eml": ("processed", "apologies", CONFIRM),
    "66_android_am_away.eml": ("processed", "apologies", CONFIRM),
    "67_name_addr_wrote_unquoted.eml": ("processed", "attend", CONFIRM),
    "68_zoho_wrote_dashes.eml": ("processed", "apologies", CONFIRM),
    "69_bold_original_message.eml": ("processed", "attend", CONFIRM),
    "70_gmail_pipe_quoting.eml": ("processed", "attend", CONFIRM),
    "71_mailru_html_blockquote.eml": ("processed", "attend", CONFIRM),
    "72_gmail_gmt_attribution.eml": ("processed", "apologies", CONFIRM),
    "73_polish_napisal.eml": ("processed", "attend", CONFIRM),
    "74_russian_napisal.eml": ("processed", "attend", CONFIRM),
    "75_ukrainian_pyshe.eml": ("processed", "apologies", CONFIRM),
    "76_german_gmail_split_attribution.eml": ("processed", "attend", CONFIRM),
    "77_danish_oprindelig_meddelelse.eml": ("processed", "attend", CONFIRM),
    "78_sent_from_my_desk.eml": ("processed", "apologies", CONFIRM),
    "79_no_reply_address_yes.eml": ("processed", "attend", CONFIRM),
    "80_invitation_pasted_unquoted.eml": ("processed", "attend", CONFIRM),
    "81_yandex_html_blockquote.eml": ("processed", "apologies", CONFIRM),
}

# whose key it is, where that is not the sender
OWNERS = {
    "38_forwarded_answered_by_other.eml": "alice.brown@example.org",
    "39_pa_apologies_for_member.eml": "carol.white@example.org",
    "51_spoofed_display_name.eml": "alice.brown@example.org",
}
# bounces: the address reported, and whether it is now marked undeliverable
BOUNCED = {
    "46_bounce_permanent_dsn.eml": ("d.jones@example.org", True),
    "47_bounce_delayed_dsn.eml": ("r.singh@example.org", False),
    "48_bounce_plain_mailer_daemon.eml": ("e.green@example.org", True),
}
NO_PERSON = {"50_own_mail_loop.eml", "53_no_key_question.eml"}


def test_every_fixture_has_an_expected_outcome() -> None:
    assert set(OUTCOMES) == set(EXPECTED) == {p.name for p in FIXTURES.glob("*.eml")}
    assert len(OUTCOMES) >= 40


def _member_row(email: str) -> str:
    name = " ".join(part.capitalize() for part in email.split("@")[0].replace("-", ".").split("."))
    return f"carers,{name},{email},officer,,Northshire Council,council,no,yes,no,,"


def _prepare(app: Clerk, name: str) -> tuple[Meeting, str]:
    """The meeting, the member who holds the fixture's key, and that key issued to them."""
    expected = EXPECTED[name]
    owner = OWNERS.get(name, expected["from"])
    people = [] if name in NO_PERSON else [owner]
    if name in BOUNCED:
        people = [BOUNCED[name][0]]
    csv = "body,name,email,role,office,organisation,sector,carer,voting,advisory," \
          "substitute_name,substitute_email\n" + "\n".join(_member_row(p) for p in people)
    assert import_members(app, csv).ok
    meeting = add_meeting(app, AddMeeting(body="carers", venue="Committee Room 2, County Hall",
                                          starts_at=parse_local("2027-01-21 10:00", app.tz)))
    key = expected["reply_key"]
    if name in BOUNCED:  # clerk sent the invitation the bounce quotes (a bounce about nothing
        now = app.clock.now()  # clerk sent changes nothing)
        with app.store.write() as db:
            db.table("outbox").insert({
                "created_at": to_iso(now), "kind": "invitation", "to_addr": people[0],
                "subject": "Invitation", "message_id": f"rsvp.{key}@clerk.example.org",
                "raw": b"", "status": "sent", "next_attempt_at": to_iso(now)})
    if key and people and name not in BOUNCED:
        now = app.clock.now()
        with app.store.write() as db:
            person_id = db.execute("SELECT id FROM people WHERE email = ?", [owner]).fetchone()[0]
            db.table("reply_keys").insert({
                "key": key, "person_id": person_id, "purpose": "rsvp",
                "subject_ref": meeting.ref, "created_at": to_iso(now),
                "expires_at": to_iso(now + timedelta(days=60))})
    return meeting, owner


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_fixture_end_to_end(clerk_app: Clerk, name: str) -> None:
    status, recorded, answer = OUTCOMES[name]
    meeting, owner = _prepare(clerk_app, name)
    raw = (FIXTURES / name).read_bytes()
    sender = EXPECTED[name]["from"]

    result = ingest(clerk_app, raw, source="file")

    assert result.status == status, f"{name}: {result.understood} / {result.action}"
    row = clerk_app.store.one("SELECT * FROM inbound WHERE id = ?", [result.inbound_id])
    assert row is not None and bytes(row["raw"]) == raw and row["status"] == status
    invitation = clerk_app.store.one(
        "SELECT i.reply FROM invitations i JOIN people p ON p.id = i.person_id "
        "WHERE i.meeting_id = ? AND p.email = ?", [meeting.id, owner])
    assert (invitation["reply"] if invitation else "no_reply") == recorded, name

    sent = clerk_app.store.all("SELECT kind, to_addr, raw FROM outbox ORDER BY id")
    answers = [r for r in sent if r["kind"] in (CONFIRM, ASK, REFUSE)]
    if answer is None:
        assert answers == [], f"{name} must not be answered"
    else:
        assert [(r["kind"], r["to_addr"]) for r in answers] == [(answer, sender)]
        msg = message_from_bytes(bytes(answers[0]["raw"]), policy=policy.default)
        assert msg["Auto-Submitted"] == "auto-replied"
        message_id = parse_message(raw).message_id
        assert msg["In-Reply-To"] == f"<{message_id}>"
        if answer == REFUSE:
            assert msg["Reply-To"] is None, "a refusal hands out no key"
            if EXPECTED[name]["reply_key"]:
                assert EXPECTED[name]["reply_key"] not in msg.as_string()
    if recorded == "substitute":
        sub = EXPECTED[name]["substitute_email"]
        assert [r["kind"] for r in sent if r["to_addr"] == sub] == ["substitute_invitation"]
    if name in BOUNCED:
        address, marked = BOUNCED[name]
        person = clerk_app.store.one("SELECT undeliverable FROM people WHERE email = ?", [address])
        assert person is not None and bool(person["undeliverable"]) is marked

    again = ingest(clerk_app, raw, source="file")
    assert again.status == "duplicate" and again.queued == ()
