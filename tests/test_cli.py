"""The command line as a facilitator uses it: clear messages, exit status 2 for bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clerk.cli import main
from tests.app_fixtures import EXAMPLE_MEMBERS


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_config_summarises_every_body(workdir: Path, capsys) -> None:
    code, out, _ = run(capsys, "check-config", "config.toml")
    assert code == 0
    assert "config.toml: OK, 7 bodies." in out
    assert "Worcestershire Carers Partnership (carers)" in out
    assert "quorum: at least 3 carers" in out
    assert "papers: 7 working days before; agenda agreed by the Chair first" in out
    assert "substitutes: allowed (not for chair, vice_chair)" in out


def test_broken_config_names_each_problem(workdir: Path, capsys) -> None:
    text = (workdir / "config.toml").read_text()
    text = text.replace('quorum = { at_least = 3,', 'quorum = { at_least = "three",')
    text = text.replace('observers = { public = true, capacity = 15,',
                        'observers = { public = "yes", capacity = 15,')
    text = text.replace('meetings = { min_per_year = 2,', 'meetings = { min_per_yaer = 2,')
    (workdir / "config.toml").write_text(text)
    code, _, err = run(capsys, "check-config")
    assert code == 2
    assert 'body "carers": quorum.at_least must be a whole number, got "three"' in err
    assert 'body "carers": observers.public must be true or false, got "yes"' in err
    assert ('body "worcs-partnership": meetings.min_per_yaer is not a setting clerk knows '
            "(check the spelling)") in err
    assert "Traceback" not in err


def test_config_that_is_not_toml(workdir: Path, capsys) -> None:
    (workdir / "config.toml").write_text("[clerk\ndatabase = 1")
    code, _, err = run(capsys, "init")
    assert code == 2
    assert "is not valid TOML" in err


def test_missing_config_file(workdir: Path, capsys) -> None:
    code, _, err = run(capsys, "check-config", "nowhere.toml")
    assert code == 2
    assert "no configuration file at nowhere.toml" in err


def test_import_keeps_good_rows_and_reports_bad_ones_by_line(workdir: Path, capsys) -> None:
    lines = EXAMPLE_MEMBERS.read_text().splitlines()
    bad = [
        lines[0],
        lines[1],
        "carers,Nobody,not-an-email,carer,,Forum,,yes,yes,no,,",
        "choir,Someone,someone@example.org,member,,Org,,no,yes,no,,",
        "carers,Maybe Carer,maybe@example.org,carer,,Forum,,perhaps,yes,no,,",
        lines[2],
    ]
    (workdir / "members.csv").write_text("\n".join(bad) + "\n")
    code, out, err = run(capsys, "members", "import", "members.csv")
    assert code == 2
    assert "2 added, 0 updated, 0 unchanged, 3 rejected" in out
    assert 'line 3: email "not-an-email" is not an email address' in err
    assert 'line 4: body "choir" is not in the configuration' in err
    assert 'line 5: carer must be yes or no, got "perhaps"' in err
    code, out, _ = run(capsys, "members", "list", "--json")
    assert len(json.loads(out)) == 2


def test_reimport_updates_rather_than_duplicates(workdir: Path, capsys) -> None:
    shutil.copy(EXAMPLE_MEMBERS, workdir / "members.csv")
    assert run(capsys, "members", "import", "members.csv")[0] == 0
    text = (workdir / "members.csv").read_text().replace(
        "Alice Ashworth,alice.ashworth@example.org,carer,chair",
        "Alice Ashworth-Smith,alice.ashworth@example.org,carer,chair")
    (workdir / "members.csv").write_text(text)
    code, out, _ = run(capsys, "members", "import", "members.csv")
    assert code == 0
    assert "0 added, 1 updated, 77 unchanged, 0 rejected" in out
    _, out, _ = run(capsys, "members", "list", "--body", "carers", "--json")
    rows = json.loads(out)
    assert [r["name"] for r in rows].count("Alice Ashworth-Smith") == 1
    assert len(rows) == 20


def test_an_address_that_bounced_is_shown_and_mail_to_it_can_be_resumed(workdir: Path,
                                                                         capsys) -> None:
    shutil.copy(EXAMPLE_MEMBERS, workdir / "members.csv")
    assert run(capsys, "members", "import", "members.csv")[0] == 0
    from clerk.app import open_clerk

    app = open_clerk(workdir / "config.toml")
    with app.store.write() as db:
        db.execute("UPDATE people SET undeliverable = 'mail bounced (5.1.1)' WHERE email = ?",
                   ["carol.chowdhury@example.org"])
    app.store.close()
    _, out, _ = run(capsys, "members", "list", "--body", "carers", "--json")
    assert [r["undeliverable"] for r in json.loads(out) if r["undeliverable"]] == [
        "mail bounced (5.1.1)"]
    _, out, _ = run(capsys, "members", "list", "--body", "carers")
    assert "Mail is not sent to 1 address(es) that bounced: carol.chowdhury@example.org" in out

    code, out, _ = run(capsys, "members", "resume-mail", "Carol.Chowdhury@example.org")
    assert code == 0
    assert ("Mail to carol.chowdhury@example.org will be sent again (it had been stopped: mail "
            "bounced (5.1.1)).") in out
    code, out, _ = run(capsys, "members", "resume-mail", "carol.chowdhury@example.org")
    assert code == 0 and "was not stopped: mail to it is sent as usual" in out
    code, _, err = run(capsys, "members", "resume-mail", "nobody@example.net")
    assert code == 2 and "no one in clerk has the address nobody@example.net" in err
    _, out, _ = run(capsys, "members", "list", "--body", "carers")
    assert "Mail is not sent" not in out


def test_csv_with_a_missing_column(workdir: Path, capsys) -> None:
    (workdir / "members.csv").write_text("body,name\ncarers,Someone\n")
    code, _, err = run(capsys, "members", "import", "members.csv")
    assert code == 2
    assert "missing: email" in err


def test_unknown_meeting(workdir: Path, capsys) -> None:
    code, _, err = run(capsys, "meetings", "show", "carers-2099-01-01")
    assert code == 2
    assert 'there is no meeting "carers-2099-01-01"' in err


def test_unknown_body(workdir: Path, capsys) -> None:
    code, _, err = run(capsys, "meetings", "add", "choir", "--at", "2027-01-14 10:00")
    assert code == 2
    assert 'there is no body "choir"' in err


def test_bad_date(workdir: Path, capsys) -> None:
    code, _, err = run(capsys, "meetings", "add", "carers", "--at", "next Thursday")
    assert code == 2
    assert '"next Thursday" is not a date and time like "2027-01-14 10:00"' in err


def test_a_meeting_from_replies_to_decisions(workdir: Path, capsys, monkeypatch) -> None:
    shutil.copy(EXAMPLE_MEMBERS, workdir / "members.csv")
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "init")[0] == 0  # safe to run again
    assert run(capsys, "members", "import", "members.csv")[0] == 0
    code, out, _ = run(capsys, "meetings", "add", "carers", "--at", "2027-01-14 10:00",
                       "--venue", "County Hall, Worcester")
    assert code == 0
    assert out.startswith("carers-2027-01-14: Worcestershire Carers Partnership, "
                          "Thursday 14 January 2027 at 10:00, County Hall, Worcester")
    ref = "carers-2027-01-14"
    run(capsys, "attendance", "reply", ref, "alice.ashworth@example.org", "--attend")
    code, out, _ = run(capsys, "attendance", "reply", ref, "bilal.bennett@example.org",
                       "--substitute", "jane.smith@example.org", "--name", "Jane Smith")
    assert "Jane Smith will attend in your place" in out
    code, out, _ = run(capsys, "meetings", "show", ref, "--json")
    view = json.loads(out)
    assert view["counts"] == {"attend": 1, "apologies": 0, "substitute": 1, "no_reply": 18}
    assert view["forecast"]["confirmed_quorate"] is False
    assert view["forecast"]["possible_quorate"] is True
    assert view["forecast"]["confirmed_reason"] == "1 of the 3 carers needed is present"
    assert any(d["kind"] == "papers-due" and d["when"].startswith("Tuesday 5 January 2027")
               for d in view["deadlines"])
    code, out, _ = run(capsys, "meetings", "show", ref)
    assert "Quorum forecast: not yet quorate" in out
    from datetime import UTC, datetime

    from clerk.clock import SystemClock  # the day of the meeting: a register is taken once it begins
    monkeypatch.setattr(SystemClock, "now", lambda self: datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    code, out, _ = run(capsys, "attendance", "record", ref, "--present",
                       "alice.ashworth@example.org,jane.smith@example.org")
    assert code == 0
    assert "NOT quorate: 1 of the 3 carers needed is present." in out
    code, out, _ = run(capsys, "decisions", "add", ref, "Adopt the 2027 action plan")
    assert "provisional: awaiting ratification by email vote" in out
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0
    assert "audit rows are intact" in out


def test_help_on_every_command(capsys) -> None:
    for args in (["--help"], ["members", "--help"], ["meetings", "show", "--help"],
                 ["attendance", "record", "--help"], ["decisions", "add", "--help"]):
        code, out, _ = run(capsys, *args)
        assert code == 0
        assert "Usage:" in out
