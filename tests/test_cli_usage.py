"""Using the command line wrongly: each kind of usage error is a short message with the fix and
exit status 2, never a traceback; ``clerk --version``; ``clerk`` alone prints the help; Ctrl-C says
"Stopped."; a read command loads only what it needs. Run as a person runs it: ``python -m clerk``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from clerk.cli import main
from clerk.cli.registry import COMMANDS
from tests.app_fixtures import EXAMPLE_MEMBERS

USAGE_ERROR = 2


def clerk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real entry point, in a child process, as a person would."""
    env = {k: v for k, v in os.environ.items() if k != "CLERK_CONFIG"}
    return subprocess.run([sys.executable, "-m", "clerk", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=60)


def assert_usage_error(result: subprocess.CompletedProcess[str], usage: str, error: str) -> None:
    assert result.returncode == USAGE_ERROR, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert f"Usage: {usage}" in result.stderr
    assert f"Error: {error}" in result.stderr


def test_unknown_command_suggests_the_right_one() -> None:
    result = clerk("meetngs", "list")
    assert_usage_error(result, "clerk [OPTIONS] COMMAND [ARGS]...",
                       "No such command 'meetngs'. Did you mean 'meetings', 'elections'?")
    assert "Try 'clerk --help' for help." in result.stderr


def test_unknown_sub_command_suggests_the_right_one() -> None:
    result = clerk("meetings", "lst")
    assert_usage_error(result, "clerk meetings [OPTIONS] COMMAND [ARGS]...",
                       "No such command 'lst'. Did you mean 'list'?")
    assert "Try 'clerk meetings --help' for help." in result.stderr


def test_missing_argument_deep_in_a_group() -> None:
    result = clerk("meetings", "show")
    assert_usage_error(result, "clerk meetings show [OPTIONS]", "Missing argument 'meeting'.")
    assert "Try 'clerk meetings show --help' for help." in result.stderr
    assert_usage_error(clerk("ratify", "show"), "clerk ratify show", "Missing argument 'ballot'.")


def test_missing_option() -> None:
    assert_usage_error(clerk("agenda", "approve", "carers-2027-01-14"), "clerk agenda approve",
                       "Missing option '--by'.")


def test_unknown_option() -> None:
    result = clerk("meetings", "list", "--bogus")
    assert_usage_error(result, "clerk meetings list [OPTIONS]", "No such option: --bogus")
    assert_usage_error(clerk("--bogus", "meetings", "list"), "clerk [OPTIONS]",
                       "No such option: --bogus")


def test_bad_value() -> None:
    result = clerk("mail", "outbox", "--limit", "abc")
    assert_usage_error(result, "clerk mail outbox [OPTIONS]", "Invalid value for '--limit'")
    assert_usage_error(clerk("schedule", "--limit", "many"), "clerk schedule [OPTIONS]",
                       "Invalid value for '--limit'")


def test_version_is_the_installed_one() -> None:
    result = clerk("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"clerk {version('clerk')}\n"
    assert result.stderr == ""


def test_no_arguments_prints_the_help_with_every_command() -> None:
    result = clerk()
    assert result.returncode == USAGE_ERROR  # what click does for a group given nothing to do
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Usage: clerk [OPTIONS] COMMAND [ARGS]...")
    listed = _commands_in_help(result.stderr)
    assert listed == set(COMMANDS), "the help and clerk.cli.registry.COMMANDS disagree"
    assert "--version" in result.stderr


def test_a_group_alone_prints_its_help() -> None:
    result = clerk("meetings")
    assert result.returncode == USAGE_ERROR
    assert result.stderr.startswith("Usage: clerk meetings [OPTIONS] COMMAND [ARGS]...")
    assert {"add", "list", "show", "move", "cancel"} <= _commands_in_help(result.stderr)


def test_help_is_a_success() -> None:
    result = clerk("--help")
    assert result.returncode == 0
    assert _commands_in_help(result.stdout) == set(COMMANDS)


def _commands_in_help(text: str) -> set[str]:
    section = text.split("Commands:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^  (\S+)", section, re.MULTILINE)}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_found_when_asked_for_alone(name: str, capsys) -> None:
    """Each command loads only its own module(s), and that is enough to run it."""
    code = main([name, "--help"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"Usage: clerk {name} [OPTIONS]" in out


@pytest.mark.parametrize("config", [["--config", "config.toml"], ["-c", "config.toml"],
                                    ["--config=config.toml"], ["-cconfig.toml"]])
def test_the_configuration_option_before_the_command(workdir: Path, config: list[str],
                                                     capsys) -> None:
    """The root option and its value are not taken for the command's name."""
    (workdir / "config.toml").rename(workdir / "clerk.toml")
    config = [c.replace("config.toml", "clerk.toml") for c in config]
    assert main([*config, "meetings", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_configuration_named_like_a_command(workdir: Path) -> None:
    result = clerk("--config", "meetings", "list", cwd=workdir)
    assert_usage_error(result, "clerk [OPTIONS] COMMAND [ARGS]...", "No such command 'list'.")


def test_refusals_and_bad_configuration_keep_their_messages(workdir: Path) -> None:
    result = clerk("meetings", "show", "nope", cwd=workdir)
    assert result.returncode == 2
    assert result.stderr == 'clerk: there is no meeting "nope" (see clerk meetings list)\n'
    result = clerk("--config", "nowhere.toml", "meetings", "list", cwd=workdir)
    assert result.returncode == 2
    assert "The configuration in nowhere.toml has 1 problem(s):" in result.stderr
    assert "  - no configuration file at nowhere.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_says_stopped(workdir: Path) -> None:
    """Ctrl-C while a command waits (here, reading a message from a pipe) stops it cleanly."""
    fifo = workdir / "message.eml"
    os.mkfifo(fifo)
    env = {k: v for k, v in os.environ.items() if k != "CLERK_CONFIG"}
    proc = subprocess.Popen([sys.executable, "-m", "clerk", "mail", "ingest", str(fifo)],
                            cwd=workdir, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    writer = _open_when_read(fifo, proc)
    try:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(writer)
    assert proc.returncode == 130
    assert err == "Stopped.\n"
    assert "Traceback" not in out


def _open_when_read(fifo: Path, proc: subprocess.Popen[str]) -> int:
    """The pipe's writing end, opened once the command has the reading end open."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # nobody reading yet
            time.sleep(0.02)
    raise AssertionError("the command never opened the pipe")


def test_keyboard_interrupt_inside_a_command(workdir: Path, capsys, monkeypatch) -> None:
    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("clerk.meetings.list_meetings", interrupted)
    assert main(["meetings", "list"]) == 130
    assert capsys.readouterr().err == "Stopped.\n"


HEAVY = ("icalendar", "jinja2", "telegram", "aiohttp", "apscheduler", "holidays", "imapclient",
         "aiosmtplib", "rich")
STORE = ("pydantic", "sqlite_utils")  # what opening clerk needs: the configuration and the database
PROBE = f"""
import json, sys
from clerk.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({{"code": code, "loaded": sorted(m for m in {HEAVY + STORE!r} if m in sys.modules)}}),
      file=sys.stderr)
"""


def probe(*args: str, cwd: Path) -> tuple[str, dict]:
    """Run a command in a fresh interpreter; what it printed, and which heavy modules it loaded."""
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, text=True,
                            capture_output=True, timeout=60)
    return result.stdout, json.loads(result.stderr.strip().splitlines()[-1])


def test_a_read_command_loads_only_what_it_needs(workdir: Path) -> None:
    """``clerk meetings list --json`` starts fast because it does not load the mail templates,
    calendars, the bot, the scheduler or the mail servers' clients (a proxy for start-up time
    that does not depend on how busy the machine is)."""
    assert main(["members", "import", str(EXAMPLE_MEMBERS)]) == 0
    assert main(["meetings", "add", "carers", "--at", "2027-01-14 10:00"]) == 0
    out, seen = probe("meetings", "list", "--json", cwd=workdir)
    assert seen == {"code": 0, "loaded": sorted(STORE)}
    assert [m["ref"] for m in json.loads(out)] == ["carers-2027-01-14"]
    out, seen = probe("members", "list", "--json", cwd=workdir)
    assert seen == {"code": 0, "loaded": sorted(STORE)}
    assert len(json.loads(out)) == 78


def test_version_and_usage_errors_load_no_command_modules(workdir: Path) -> None:
    out, seen = probe("--version", cwd=workdir)
    assert seen == {"code": 0, "loaded": []}
    assert out.startswith("clerk ")
    _, seen = probe("meetings", "list", "--bogus", cwd=workdir)
    assert seen["code"] == 2
    assert not set(seen["loaded"]) & set(HEAVY)


def test_version_of_a_source_tree_that_is_not_installed(monkeypatch) -> None:
    import importlib.metadata

    import clerk

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert clerk.version() == clerk.__version__
