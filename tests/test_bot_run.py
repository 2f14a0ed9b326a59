"""``clerk run`` on the example configuration, with a token and ``telegram.api_url`` set, talks to a
Bot API server (the fake one, on loopback): it polls, answers a person, sends a linked member's
invitation in chat, and stops cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.app_fixtures import EXAMPLE_MEMBERS, ROOT
from tests.botapi import TOKEN, FakeBotApi
from tests.test_run import wait_for

CLERK = [sys.executable, "-m", "clerk"]


def configure(tmp_path: Path, api: FakeBotApi) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert '# api_url = "http://127.0.0.1:8081/bot"' in text
    text = text.replace('# api_url = "http://127.0.0.1:8081/bot"', f'api_url = "{api.base_url}"')
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    shutil.copy(EXAMPLE_MEMBERS, tmp_path / "members.csv")
    for args in (["members", "import", "members.csv"],
                 ["meetings", "add", "carers", "--at", "2030-01-17 10:00", "--venue",
                  "County Hall"]):
        subprocess.run([*CLERK, *args, "-c", "config.toml"], cwd=tmp_path, check=True,
                       capture_output=True)


def test_clerk_run_with_a_token_talks_to_the_bot_api(tmp_path: Path) -> None:
    with FakeBotApi() as api:
        configure(tmp_path, api)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "CLERK_TELEGRAM_TOKEN": TOKEN}
        proc = subprocess.Popen([*CLERK, "run", "--config", "config.toml"], cwd=tmp_path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        try:
            out = wait_for(proc, "clerk is running")
            assert "telegram bot" in out
            api.wait_for(lambda: api.calls_of("getUpdates"), timeout=20)
            assert [c.method for c in api.calls[:3]] == ["getMe", "setMyCommands",
                                                         "deleteWebhook"]
            api.send_text(4242, "/meetings")
            reply = api.wait_for(lambda: api.calls_of("sendMessage", 4242), timeout=20)[0]
            assert "Worcestershire Carers Partnership" in reply.text
            assert "Thursday 17 January 2030 at 10:00, County Hall" in reply.text
            api.send_text(4242, "good morning")
            help_reply = api.wait_for(lambda: api.calls_of("sendMessage", 4242)[1:], timeout=20)
            assert "I did not understand that" in help_reply[0].text
        finally:
            proc.send_signal(signal.SIGTERM)
            rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, rest
        assert "stopped" in rest


def test_without_a_token_the_bot_is_off(tmp_path: Path) -> None:
    with FakeBotApi() as api:
        configure(tmp_path, api)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("CLERK_TELEGRAM_TOKEN", None)
        out = subprocess.run([*CLERK, "run", "--once", "--config", "config.toml"], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        assert api.calls == []
