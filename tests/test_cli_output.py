"""What the command line prints: an identifier (a meeting reference, an email address) is never
cut or ellipsised, on a narrow terminal or into a pipe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clerk.cli import main
from tests.service_helpers import run_on_a_terminal

SLUG = "worcestershire-young-carers-partnership"
REF = f"{SLUG}-2027-01-14"
EMAIL = "a.very.long.name.of.a.carer@partnership.example.org.uk"
LISTS = [("members", "list"), ("meetings", "list"), ("meetings", "show", REF),
         ("mail", "outbox"), ("schedule",)]
# The identifiers each list shows, and what one row of it shows on one line.
IDENTIFIERS = {LISTS[0]: (EMAIL, SLUG), LISTS[1]: (REF,), LISTS[2]: (EMAIL,),
               LISTS[3]: (EMAIL, REF), LISTS[4]: (REF,)}
ROW = {LISTS[0]: (EMAIL, SLUG, "Alice Ashworth", "Worcestershire Parent Carer Forum"),
       LISTS[1]: (REF, "scheduled"),
       LISTS[2]: (EMAIL, "Alice Ashworth"),
       LISTS[3]: (EMAIL, REF, "invitation"),
       LISTS[4]: (REF, "send the invitations")}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def long_names(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The example configuration with a body whose name (so its meetings' references) is long, a
    member of it with a long address, a meeting of it, and the invitations queued."""
    config = workdir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[bodies.cypsp-board", f"[bodies.{SLUG}"), encoding="utf-8")  # and its reports_in
    (workdir / "members.csv").write_text(
        "body,name,email,role,office,organisation,carer,voting\n"
        f"{SLUG},Alice Ashworth,{EMAIL},carer,chair,Worcestershire Parent Carer Forum,yes,yes\n"
        f"{SLUG},Bilal Bennett,bilal@example.org,member,,Herefordshire and Worcestershire "
        "Involvement Network,no,yes\n", encoding="utf-8")
    assert main(["members", "import", "members.csv"]) == 0
    assert main(["meetings", "add", SLUG, "--at", "2027-01-14 10:00"]) == 0
    assert main(["invite", REF]) == 0
    capsys.readouterr()
    return workdir


def clerk(folder: Path, *args: str, **environ: str) -> str:
    """What ``clerk ARGS`` writes into a pipe."""
    base = {k: v for k, v in os.environ.items() if k != "CLERK_CONFIG"}
    done = subprocess.run([sys.executable, "-m", "clerk", *args], cwd=folder,
                          env={**base, **environ}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("command", LISTS, ids=" ".join)
def test_into_a_pipe_a_table_row_is_one_whole_line(long_names: Path,
                                                   command: tuple[str, ...]) -> None:
    """Written to a file or a pipe there is no screen to fit: nothing is wrapped or cut, so a
    row can be found with grep, even where $COLUMNS is set for the terminal."""
    out = clerk(long_names, *command, COLUMNS="60")
    assert "…" not in out
    assert any(all(word in line for word in ROW[command]) for line in out.splitlines()), out


def on_a_terminal(folder: Path, columns: int, *args: str) -> str:
    """What ``clerk ARGS`` shows on a terminal ``columns`` wide, without its colours."""
    environ = {k: v for k, v in os.environ.items() if k != "CLERK_CONFIG"}
    seen = run_on_a_terminal([sys.executable, "-m", "clerk", *args], folder, environ, columns)
    return ANSI.sub("", seen).replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [60, 80, 200])
def test_on_a_narrow_terminal_identifiers_stay_whole(long_names: Path, columns: int) -> None:
    """A table that fits keeps to the terminal's width, its free text wrapped at spaces; one
    that cannot fit with each identifier whole is shown as one block of lines a row."""
    for command in LISTS:
        out = on_a_terminal(long_names, columns, *command)
        assert "…" not in out, out
        lines = out.splitlines()
        for identifier in IDENTIFIERS[command]:
            assert any(identifier in line for line in lines), out
        assert all(len(line) <= columns for line in lines if "│" in line), out


def test_a_table_that_fits_is_still_a_table(long_names: Path) -> None:
    """Where the identifiers fit side by side, the list is a table no wider than the terminal,
    its free text (here, the members' organisations) wrapped at its spaces."""
    out = on_a_terminal(long_names, 200, "members", "list", "--body", SLUG)
    rows = [line for line in out.splitlines() if "│" in line]
    assert rows and all(len(line) <= 200 for line in rows), out
    assert any(EMAIL in line and SLUG in line for line in rows), out
    assert not any("Herefordshire and Worcestershire Involvement Network" in line
                   for line in rows), out
    narrow = on_a_terminal(long_names, 80, "members", "list", "--body", SLUG)
    assert "│" not in narrow  # ten columns and a 53-character address: a block a member
    assert f"email         {EMAIL}\n" in narrow
    assert "organisation  Herefordshire and Worcestershire Involvement Network\n" in narrow
