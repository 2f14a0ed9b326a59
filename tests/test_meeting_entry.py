"""Entering a meeting as a new facilitator would (issue 15): a time in the past is refused, a
date without a time is refused, a weekend or bank holiday is pointed out but allowed, and a
meeting added by mistake can be deleted (its reference free again) until something is sent or
recorded for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clerk.agenda.items import AddItem, add_item
from clerk.app import Clerk
from clerk.attendance.invitations import invite, move_meeting
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.errors import BadInput, NotFound, Refused
from clerk.meetings.schedule import (
    AddMeeting,
    add_meeting,
    delete_meeting,
    get_meeting,
    list_meetings,
    schedule_meeting,
)
from clerk.times import parse_local
from tests.app_fixtures import EXAMPLE_MEMBERS


def at(app: Clerk, text: str) -> datetime:
    return parse_local(text, app.tz)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# ----------------------------------------------------------------------------- the past


def test_a_meeting_in_the_past_is_refused_and_nothing_is_stored(clerk_app: Clerk) -> None:
    # the clock says Monday 23 November 2026, 09:00
    with pytest.raises(BadInput) as refused:
        add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2026-11-19 10:00")))
    assert str(refused.value) == (
        "the meeting would start on Thursday 19 November 2026 at 10:00, which is in the past "
        "(it is now Monday 23 November 2026 at 09:00): give a time still to come")
    assert list_meetings(clerk_app, "carers") == []


def test_a_meeting_starting_this_very_minute_is_already_past(clerk_app: Clerk,
                                                             clock: FakeClock) -> None:
    with pytest.raises(BadInput, match="in the past"):
        add_meeting(clerk_app, AddMeeting("carers", clock.now()))


def test_a_meeting_may_not_be_moved_into_the_past(clerk_app: Clerk) -> None:
    m = add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-14 10:00")))
    with pytest.raises(BadInput, match="is in the past"):
        move_meeting(clerk_app, m.ref, at(clerk_app, "2026-11-20 10:00"))
    assert get_meeting(clerk_app, m.ref).starts_at == at(clerk_app, "2027-01-14 10:00")


# ----------------------------------------------------------------------------- weekends, holidays


def test_a_working_day_brings_no_warning(clerk_app: Clerk) -> None:
    done = schedule_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-14 10:00")))
    assert done.added and done.warnings == ()


def test_a_saturday_meeting_is_scheduled_with_a_warning(clerk_app: Clerk) -> None:
    done = schedule_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-16 10:00")))
    assert done.added and done.meeting.ref == "carers-2027-01-16"
    assert [(w.code, w.reason) for w in done.warnings] == [
        ("weekend", "Saturday 16 January 2027 falls on a weekend")]
    # asking again gives the same meeting, and the same warning
    again = schedule_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-16 10:00")))
    assert not again.added and again.meeting.id == done.meeting.id
    assert [w.code for w in again.warnings] == ["weekend"]


def test_a_bank_holiday_is_named(clerk_app: Clerk) -> None:
    done = schedule_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-12-27 10:00")))
    assert [(w.code, w.reason) for w in done.warnings] == [
        ("bank_holiday", "Monday 27 December 2027 is a bank holiday (Christmas Day (observed))")]


def test_a_saturday_bank_holiday_gets_both_warnings(clerk_app: Clerk) -> None:
    done = schedule_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2026-12-26 10:00")))
    assert [w.code for w in done.warnings] == ["weekend", "bank_holiday"]
    assert "Boxing Day" in done.warnings[1].reason


def test_the_local_day_counts_not_the_utc_day(clerk_app: Clerk) -> None:
    # 00:30 on Saturday 3 July 2027 in London is still Friday 2 July in UTC
    done = schedule_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-07-03 00:30")))
    assert [w.code for w in done.warnings] == ["weekend"]


def test_moving_a_meeting_to_a_bank_holiday_warns(clerk_app: Clerk) -> None:
    m = add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-05-06 10:00"),
                                          venue="County Hall"))
    moved = move_meeting(clerk_app, m.ref, at(clerk_app, "2027-05-03 10:00"))
    assert moved.changed
    assert [w.code for w in moved.warnings] == ["bank_holiday"]
    assert "May Day" in moved.warnings[0].reason
    # a change of place only, the time as it is: nothing to warn of
    assert move_meeting(clerk_app, m.ref, at(clerk_app, "2027-05-03 10:00"),
                        venue="Civic Centre").warnings == ()


# ----------------------------------------------------------------------------- the command line


@pytest.fixture
def cli(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The example configuration and members, set up with clerk's own commands."""
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "members", "import", str(EXAMPLE_MEMBERS))[0] == 0
    return workdir


def test_a_date_without_a_time_is_refused(cli: Path, capsys) -> None:
    code, out, err = run(capsys, "meetings", "add", "carers", "--at", "2027-01-14")
    assert code == 2 and out == ""
    assert ('"2027-01-14" is a date without a time: say what time the meeting starts, '
            "e.g. 2027-01-14 10:00") in err
    assert run(capsys, "meetings", "list", "--json")[1].strip() == "[]"
    run(capsys, "meetings", "add", "carers", "--at", "2027-01-14 10:00")
    code, _, err = run(capsys, "meetings", "move", "carers-2027-01-14", "--at", "2027-01-21")
    assert code == 2 and "say what time the meeting starts, e.g. 2027-01-21 10:00" in err


def test_a_past_date_is_refused_at_the_command_line(cli: Path, capsys) -> None:
    code, out, err = run(capsys, "meetings", "add", "carers", "--at", "2020-01-16 10:00")
    assert code == 2 and out == ""
    assert "Thursday 16 January 2020 at 10:00, which is in the past" in err
    assert "give a time still to come" in err


def test_the_command_line_prints_the_warnings_and_json_has_them(cli: Path, capsys) -> None:
    code, out, _ = run(capsys, "meetings", "add", "carers", "--at", "2027-12-27 10:00")
    assert code == 0
    assert out.startswith("carers-2027-12-27: Worcestershire Carers Partnership, "
                          "Monday 27 December 2027 at 10:00")
    assert ("Note: Monday 27 December 2027 is a bank holiday (Christmas Day (observed)); the "
            "meeting stands (if that is a mistake, change it with `clerk meetings move "
            "carers-2027-12-27 --at ...`).") in out
    code, out, _ = run(capsys, "meetings", "add", "carers", "--at", "2027-01-16 10:00", "--json")
    added = json.loads(out)
    assert added["ref"] == "carers-2027-01-16" and added["added"] is True
    assert added["warnings"] == [{"code": "weekend",
                                  "text": "Saturday 16 January 2027 falls on a weekend"}]
    code, out, _ = run(capsys, "meetings", "move", "carers-2027-01-16", "--at",
                       "2027-01-17 10:00", "--json")
    assert code == 0 and [w["code"] for w in json.loads(out)["warnings"]] == ["weekend"]
    code, out, _ = run(capsys, "meetings", "move", "carers-2027-01-16", "--at", "2027-01-18 10:00")
    assert code == 0 and "Note:" not in out  # a Monday


def test_a_reference_is_never_cut_short_in_a_narrow_terminal(cli: Path, capsys) -> None:
    run(capsys, "meetings", "add", "worcs-partnership", "--at", "2027-01-14 10:00",
        "--venue", "Council Chamber, County Hall, Spetchley Road, Worcester")
    env = {k: v for k, v in os.environ.items() if k != "CLERK_CONFIG"} | {"COLUMNS": "50"}
    shown = subprocess.run([sys.executable, "-m", "clerk", "meetings", "list"], cwd=cli, env=env,
                           text=True, capture_output=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "worcs-partnership-2027-01-14" in shown.stdout


# ----------------------------------------------------------------------------- deleting


def test_a_meeting_added_by_mistake_is_deleted_and_its_reference_is_free(clerk_app: Clerk) -> None:
    wrong = add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-14 10:00")))
    other = add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-14 18:00")))
    assert other.ref == "carers-2027-01-14-2"
    delete_meeting(clerk_app, wrong.ref)
    with pytest.raises(NotFound):
        get_meeting(clerk_app, wrong.ref)
    again = add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-14 14:00")))
    assert again.ref == "carers-2027-01-14"
    audit = clerk_app.store.all("SELECT detail FROM audit WHERE action = 'meeting.delete'")
    assert len(audit) == 1
    assert json.loads(audit[0]["detail"])["starts_at"] == "2027-01-14T10:00:00+00:00"


def test_a_meeting_with_invitations_sent_cannot_be_deleted(clerk_app: Clerk) -> None:
    m = add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-14 10:00")))
    invite(clerk_app, m.ref)
    with pytest.raises(Refused) as refused:
        delete_meeting(clerk_app, m.ref)
    text = str(refused.value)
    assert text.startswith("carers-2027-01-14 cannot be deleted: it has invitations or replies (")
    assert "emails queued or sent (" in text
    assert text.endswith("cancel it instead with `clerk meetings cancel carers-2027-01-14`")
    assert get_meeting(clerk_app, m.ref).status == "scheduled"


def test_a_meeting_with_an_agenda_item_cannot_be_deleted(clerk_app: Clerk) -> None:
    m = add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-14 10:00")))
    add_item(clerk_app, AddItem(meeting=m.ref, title="Carers' strategy refresh"))
    with pytest.raises(Refused, match=r"agenda items added \(1\)"):
        delete_meeting(clerk_app, m.ref)


def test_a_meeting_long_past_can_still_be_deleted_if_nothing_was_done(clerk_app: Clerk,
                                                                    clock: FakeClock) -> None:
    m = add_meeting(clerk_app, AddMeeting("carers", at(clerk_app, "2027-01-14 10:00")))
    clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    assert delete_meeting(clerk_app, m.ref).ref == m.ref
    assert list_meetings(clerk_app, "carers") == []


def test_meetings_delete_at_the_command_line(cli: Path, capsys) -> None:
    run(capsys, "meetings", "add", "carers", "--at", "2027-01-14 10:00")
    code, out, _ = run(capsys, "meetings", "delete", "carers-2027-01-14")
    assert code == 0
    assert out.strip() == ("carers-2027-01-14 deleted (Worcestershire Carers Partnership, "
                           "Thursday 14 January 2027 at 10:00); nothing had been sent for it.")
    code, _, err = run(capsys, "meetings", "delete", "carers-2027-01-14")
    assert code == 2 and 'there is no meeting "carers-2027-01-14"' in err
    run(capsys, "meetings", "add", "carers", "--at", "2027-01-14 11:00")
    run(capsys, "invite", "carers-2027-01-14")
    code, _, err = run(capsys, "meetings", "delete", "carers-2027-01-14")
    assert code == 2 and "cannot be deleted" in err
    assert "clerk meetings cancel carers-2027-01-14" in err
    assert "Traceback" not in err
