"""``clerk console link EMAIL``: the first sign-in on a fresh install, from the shell; and the
``[web]`` configuration it and ``clerk run`` read."""

from __future__ import annotations

from pathlib import Path

import pytest

from clerk.cli import main
from clerk.config import load_config
from clerk.errors import ConfigError


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_it_prints_a_one_time_link_for_a_facilitator(workdir: Path, capsys) -> None:
    code, out, _ = run(capsys, "console", "link", "facilitator@carers.example.org")
    assert code == 0
    link = out.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8080/sign-in/") and len(link) > 60
    code, out2, _ = run(capsys, "console", "link", "facilitator@carers.example.org")
    assert out2.strip().splitlines()[-1] != link  # a new link each time


def test_it_uses_the_public_url_behind_a_proxy(workdir: Path, capsys) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text().replace(
        '[web]\nlisten = "127.0.0.1:8080"',
        '[web]\nlisten = "127.0.0.1:8080"\npublic_url = "https://clerk.council.example/"'))
    code, out, _ = run(capsys, "console", "link", "facilitator@carers.example.org")
    assert code == 0 and out.strip().startswith("https://clerk.council.example/sign-in/")


def test_it_refuses_an_address_that_serves_no_body(workdir: Path, capsys) -> None:
    code, _, err = run(capsys, "console", "link", "amira.khan@example.org")
    assert code == 2 and "cannot sign in to the console" in err


def test_an_administrator_may_sign_in(workdir: Path, capsys) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text().replace(
        '[web]\nlisten = "127.0.0.1:8080"',
        '[web]\nlisten = "127.0.0.1:8080"\nadmins = ["IT.Admin@council.example"]'))
    code, out, _ = run(capsys, "console", "link", "it.admin@council.example")
    assert code == 0 and "/sign-in/" in out


def test_bad_web_settings_are_named(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "config.example.toml"
    path = tmp_path / "config.toml"
    path.write_text(source.read_text().replace(
        'listen = "127.0.0.1:8080"',
        'listen = "8080"\npublic_url = "clerk.council.example"\nadmins = ["nobody"]'))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    text = " ".join(raised.value.problems)
    assert "host:port" in text and "https://" in text and "'nobody' is not an email address" in text
