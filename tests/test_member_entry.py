"""Entering the membership as a facilitator does (issue 15): a CSV file as a spreadsheet saves it
(semicolons, Windows-1252, a byte-order mark, a column clerk does not know), a person listed twice,
and a member who leaves: their membership ends, stays in the records, and no longer counts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.invitations import invite
from clerk.attendance.quorum import forecast
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import open_ballot
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.errors import BadInput, NotFound, Refused
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.people.membership import (
    decode_csv,
    end_membership,
    import_members,
    list_members,
    sniff_delimiter,
)
from clerk.times import parse_local
from tests.app_fixtures import EXAMPLE_MEMBERS

CAROL = "carol.chowdhury@example.org"  # a carer member of the Carers Partnership
IMOGEN = "imogen.iqbal@example.org"  # an officer there, not a carer


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def carers_members(app: Clerk) -> dict[str, dict[str, object]]:
    return {m["email"]: m for m in list_members(app, "carers")}


# ------------------------------------------------------------------------ reading the file


def test_a_semicolon_file_saved_by_excel_in_windows_1252_is_read(workdir: Path, capsys) -> None:
    text = ("body;name;email;role;organisation;carer\r\n"
            "carers;Renée Léger;renee.leger@example.org;carer;Café des Aidants;yes\r\n"
            "carers;Zoë Ørsted;zoe.orsted@example.org;officer;Carers Careline;no\r\n")
    (workdir / "members.csv").write_bytes(text.encode("cp1252"))
    code, out, err = run(capsys, "members", "import", "members.csv")
    assert code == 0, err
    assert "read as semicolon-separated Windows-1252 text" in out
    assert "2 added, 0 updated, 0 unchanged, 0 rejected" in out
    _, out, _ = run(capsys, "members", "list", "--body", "carers", "--json")
    rows = {r["email"]: r for r in json.loads(out)}
    assert rows["renee.leger@example.org"]["name"] == "Renée Léger"
    assert rows["renee.leger@example.org"]["organisation"] == "Café des Aidants"
    assert rows["renee.leger@example.org"]["carer"] is True
    assert rows["zoe.orsted@example.org"]["name"] == "Zoë Ørsted"


def test_a_utf8_file_with_a_byte_order_mark_is_read(workdir: Path, capsys) -> None:
    text = "body,name,email\r\ncarers,Łucja Żak,lucja.zak@example.org\r\n"
    (workdir / "members.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    code, out, err = run(capsys, "members", "import", "members.csv", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["delimiter"], result["encoding"]) == ("comma", "UTF-8 with BOM")
    assert (result["created"], result["errors"], result["warnings"]) == (1, [], [])
    _, out, _ = run(capsys, "members", "list", "--body", "carers", "--json")
    assert [r["name"] for r in json.loads(out)] == ["Łucja Żak"]


@pytest.mark.parametrize(("header", "delimiter"), [
    ("body,name,email,role", ","),
    ("body;name;email;role", ";"),
    ("body\tname\temail\trole", "\t"),
    ("Body;Name;Email;Organisation, sector", ";"),  # a comma inside a column name
    ('"body";"name";"email"', ";"),
])
def test_the_delimiter_is_found_from_the_header(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header) == delimiter


def test_the_encoding_is_found() -> None:
    assert decode_csv("é".encode()) == ("é", "UTF-8")
    assert decode_csv(b"\xef\xbb\xbf" + "é".encode()) == ("é", "UTF-8 with BOM")
    assert decode_csv("é".encode("cp1252")) == ("é", "Windows-1252")
    assert decode_csv("body\té".encode("utf-16")) == ("body\té", "UTF-16")
    with pytest.raises(BadInput, match=r"members\.csv could not be read as UTF-8 or as Windows-1252 text"):
        decode_csv(b"\x81\x8d\x8f", "members.csv")  # bytes Windows-1252 leaves undefined
    with pytest.raises(BadInput, match="could not be read as UTF-8 with BOM text"):
        decode_csv(b"\xef\xbb\xbf\x81")


def test_a_column_clerk_does_not_know_is_ignored_with_a_warning(workdir: Path, capsys) -> None:
    text = ("body,name,email,phone,carer,Notes\n"
            "carers,Sam Stone,sam.stone@example.org,01905 123456,yes,joined in May\n")
    (workdir / "members.csv").write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "members", "import", "members.csv")
    assert code == 0
    assert "1 added, 0 updated, 0 unchanged, 0 rejected" in out
    assert ("line 1 (warning): the column(s) phone, notes are not ones clerk knows, so they were "
            "ignored") in err
    _, out, _ = run(capsys, "members", "list", "--body", "carers", "--json")
    (sam,) = json.loads(out)
    assert sam["carer"] is True and "phone" not in sam


def test_spreadsheet_column_names_and_empty_trailing_cells_are_read(clerk_app: Clerk) -> None:
    text = ("Body;Name;Email;Substitute Name;Substitute Email;\n"
            "carers;Sam Stone;sam.stone@example.org;Ann Other;ann.other@example.org;;\n")
    report = import_members(clerk_app, text.encode("utf-8"))
    assert report.ok, report.errors
    assert report.warnings == [] and report.created == 1
    assert carers_members(clerk_app)["sam.stone@example.org"]["substitute"] == \
        "ann.other@example.org"
    report = import_members(clerk_app, b"body,name,email\ncarers,Sam Stone,sam@example.org,x\n")
    assert report.errors == [(2, "this row has more cells than the header has columns")]


def test_excel_s_sep_line_names_the_delimiter(clerk_app: Clerk) -> None:
    text = "sep=;\r\nbody;name;email;organisation\r\ncarers;Sam Stone;sam@example.org;A, B\r\n"
    report = import_members(clerk_app, text.encode("cp1252"))
    assert report.ok and report.created == 1 and report.delimiter_name == "semicolon"
    assert carers_members(clerk_app)["sam@example.org"]["organisation"] == "A, B"
    report = import_members(clerk_app, b"sep=;\nbody;name;email\ncarers;Sam;bad-address\n")
    assert report.errors == [(3, 'email "bad-address" is not an email address')]


def test_a_column_named_twice_is_refused(clerk_app: Clerk) -> None:
    with pytest.raises(BadInput, match="names email more than once"):
        import_members(clerk_app, b"body,name,email,Email\ncarers,A,a@example.org,b@example.org\n")


def test_a_semicolon_file_no_longer_fails_with_missing_columns(clerk_app: Clerk) -> None:
    report = import_members(clerk_app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")
                            .replace(",", ";").encode("cp1252"), source="members.csv")
    assert report.ok, report.errors
    assert (report.delimiter_name, report.unchanged) == ("semicolon", 78)


# --------------------------------------------------------------------- a person listed twice


@pytest.fixture
def meeting_ahead(clerk_app: Clerk) -> Meeting:
    return add_meeting(clerk_app, AddMeeting(body="carers", venue="County Hall, Worcester",
                                             starts_at=parse_local("2027-01-14 10:00",
                                                                   clerk_app.tz)))


def test_a_person_listed_twice_is_reported_and_not_changed(clerk_app: Clerk,
                                                           meeting_ahead: Meeting) -> None:
    before = forecast(clerk_app, meeting_ahead)
    text = ("body,name,email,role,carer\n"
            f"carers,Imogen Iqbal,{IMOGEN},officer,no\n"
            "carers,Sam Stone,sam.stone@example.org,officer,no\n"
            f"carers,Imogen Iqbal,{IMOGEN.upper()},carer,yes\n")
    report = import_members(clerk_app, text.encode("utf-8"))
    said = (f"{IMOGEN} is listed for carers on lines 2 and 4; none of these rows was applied, so "
            "their membership is unchanged: keep one row for them and import again")
    assert report.errors == [(2, said), (4, said)]
    assert (report.created, report.updated) == (1, 0)  # the rest of the file is applied
    imogen = carers_members(clerk_app)[IMOGEN]
    assert (imogen["carer"], imogen["role"]) == (False, "officer")
    after = forecast(clerk_app, meeting_ahead)
    assert after.possible == before.possible  # the quorum of carers is as it was


def test_the_same_person_on_two_bodies_is_not_a_duplicate(clerk_app: Clerk) -> None:
    text = ("body,name,email\ncarers,Sam Stone,sam.stone@example.org\n"
            "cypsp-jcb,Sam Stone,sam.stone@example.org\n")
    report = import_members(clerk_app, text)
    assert report.ok and report.created == 2


# ------------------------------------------------------------------------ ending a membership


def test_an_ended_membership_is_no_longer_invited_nor_counted(clerk_app: Clerk,
                                                               meeting_ahead: Meeting) -> None:
    carers_before = forecast(clerk_app, meeting_ahead).possible
    done = end_membership(clerk_app, "Carol.Chowdhury@example.org", "carers")
    assert (done.email, done.ended_on, done.changed, done.invited_to) == (
        CAROL, date(2026, 11, 23), True, ())
    sent = invite(clerk_app, meeting_ahead.ref)
    assert CAROL not in sent.queued and len(sent.queued) == 19
    fc = forecast(clerk_app, meeting_ahead)
    assert CAROL not in {r.email for r in fc.replies}
    assert fc.possible.reason != carers_before.reason  # one carer fewer
    assert CAROL not in carers_members(clerk_app)
    shown = {m["email"]: m for m in list_members(clerk_app, "carers", ended=True)}
    assert shown[CAROL]["ended_on"] == "2026-11-23"
    assert shown["alice.ashworth@example.org"]["ended_on"] == ""
    row = clerk_app.store.one("SELECT active, ended_on FROM memberships m JOIN people p ON "
                              "p.id = m.person_id WHERE p.email = ?", [CAROL])
    assert row == {"active": 0, "ended_on": "2026-11-23"}  # kept in the records
    audit = clerk_app.store.one("SELECT subject, detail FROM audit WHERE action = "
                                "'membership.end'")
    assert audit is not None and audit["subject"] == CAROL
    assert json.loads(audit["detail"])["ended_on"] == "2026-11-23"


def test_ending_after_the_invitations_went_out_says_so(clerk_app: Clerk,
                                                        meeting_ahead: Meeting) -> None:
    invite(clerk_app, meeting_ahead.ref)
    done = end_membership(clerk_app, CAROL, "carers")
    assert done.invited_to == (meeting_ahead.ref,)
    assert CAROL not in {r.email for r in forecast(clerk_app, meeting_ahead).replies}


def test_an_ended_member_is_given_no_ballot(clerk_app: Clerk, clock: FakeClock) -> None:
    end_membership(clerk_app, CAROL, "carers", date(2026, 11, 20))
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                  clerk_app.tz))).ref
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(clerk_app, RecordAttendance(ref, ("alice.ashworth@example.org",)))
    add_decision(clerk_app, AddDecision(ref, "Adopt the 2027 carers action plan"))
    ballot = open_ballot(clerk_app, ref)
    assert CAROL not in {s.email for s in ballot.electorate}
    assert "bilal.bennett@example.org" in {s.email for s in ballot.electorate}


def test_ending_twice_unknown_people_and_days_to_come(clerk_app: Clerk) -> None:
    end_membership(clerk_app, CAROL, "carers", date(2026, 11, 20))
    again = end_membership(clerk_app, CAROL, "carers")
    assert (again.changed, again.ended_on) == (False, date(2026, 11, 20))
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM audit WHERE action = "
                               "'membership.end'") == {"n": 1}
    with pytest.raises(NotFound, match="no one in clerk has the address"):
        end_membership(clerk_app, "nobody@example.net", "carers")
    with pytest.raises(NotFound, match='there is no body "choir"'):
        end_membership(clerk_app, IMOGEN, "choir")
    with pytest.raises(NotFound, match=f"{IMOGEN} is not a member of"):
        end_membership(clerk_app, IMOGEN, "cypsp-jcb")
    with pytest.raises(Refused, match="2026-12-01 is still to come"):
        end_membership(clerk_app, IMOGEN, "carers", date(2026, 12, 1))
    assert IMOGEN in carers_members(clerk_app)


def test_a_later_import_keeps_an_ended_membership_ended_unless_told_they_rejoin(
        clerk_app: Clerk) -> None:
    end_membership(clerk_app, CAROL, "carers", date(2026, 11, 20))
    report = import_members(clerk_app, EXAMPLE_MEMBERS.read_bytes())
    assert report.ok and report.kept_ended == 1 and report.updated == 0
    (line, warning), = report.warnings
    assert line == 4
    assert warning == (f"{CAROL} on carers: their membership ended on 2026-11-20, so this row was "
                       "skipped (it would have made them a member again); if they have rejoined, "
                       "import the file with --rejoin")
    assert CAROL not in carers_members(clerk_app)
    report = import_members(clerk_app, EXAMPLE_MEMBERS.read_bytes(), rejoin=True)
    assert report.ok and report.updated == 1 and report.kept_ended == 0
    assert carers_members(clerk_app)[CAROL]["ended_on"] == ""


def test_members_end_and_list_on_the_command_line(workdir: Path, capsys) -> None:
    assert run(capsys, "members", "import", str(EXAMPLE_MEMBERS))[0] == 0
    code, out, err = run(capsys, "members", "end", CAROL, "--body", "carers", "--on", "2026-11-20")
    assert code == 0, err
    assert (f"Carol Chowdhury ({CAROL}): the membership of Worcestershire Carers Partnership ended "
            "on 2026-11-20.") in out
    code, out, _ = run(capsys, "members", "end", CAROL, "--body", "carers")
    assert code == 0
    assert "already ended on 2026-11-20; nothing changed" in out
    _, out, _ = run(capsys, "members", "list", "--body", "carers")
    assert "19 members. 1 membership(s) have ended" in out
    assert CAROL in out and "2026-11-20" in out
    _, out, _ = run(capsys, "members", "list", "--body", "carers", "--json")
    ended = [r for r in json.loads(out) if r["ended_on"]]  # (before Alice's ends below)
    assert [(r["email"], r["ended_on"]) for r in ended] == [(CAROL, "2026-11-20")]
    code, out, err = run(capsys, "members", "import", str(EXAMPLE_MEMBERS))
    assert code == 0
    assert "0 added, 0 updated, 77 unchanged, 0 rejected, 1 skipped (their membership has ended)." \
        in out
    assert f"line 4 (warning): {CAROL} on carers: their membership ended on 2026-11-20" in err
    code, out, _ = run(capsys, "members", "end", "alice.ashworth@example.org", "--body", "carers")
    assert code == 0
    assert ("They held the office chair: import whoever takes it over with that office; until "
            "then the configured chair_email, if any, is the Chair.") in out
    code, _, err = run(capsys, "members", "end", CAROL, "--body", "carers", "--on", "20/11/2026")
    assert code == 2 and "--on must be a date written YYYY-MM-DD" in err
    code, _, err = run(capsys, "members", "end", "nobody@example.net", "--body", "carers")
    assert code == 2 and "no one in clerk has the address nobody@example.net" in err
