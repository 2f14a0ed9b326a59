"""``clerk run`` serves the console on ``[web] listen``, on the same process and loop as the
rest: the link ``clerk console link`` prints signs a facilitator in over real HTTP, and the
service still stops cleanly."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.app_fixtures import ROOT
from tests.service_helpers import env, wait_for

CLERK = [sys.executable, "-m", "clerk"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def sign_in(base: str, link: str) -> tuple[int, str, dict[str, str]]:
    """Open the link, press Sign in, and read the page it leads to (status, text, headers)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(link) as confirm:
            page = await confirm.text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf, page
        async with http.post(link, data={"csrf": csrf.group(1)}) as signed_in:
            return signed_in.status, await signed_in.text(), dict(signed_in.headers)


def test_clerk_run_serves_the_console_and_a_printed_link_signs_in(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.example.toml", config)
    config.write_text(config.read_text().replace('listen = "127.0.0.1:8080"',
                                                 f'listen = "127.0.0.1:{port}"'))
    link = subprocess.run([*CLERK, "console", "link", "facilitator@carers.example.org", "-c",
                           "config.toml"], cwd=tmp_path, env=env(), check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]
    assert link.startswith(f"http://127.0.0.1:{port}/sign-in/")
    service = subprocess.Popen([*CLERK, "run", "--config", "config.toml"], cwd=tmp_path, env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(service, f"the console is at http://127.0.0.1:{port}")
        status, page, headers = asyncio.run(sign_in(f"http://127.0.0.1:{port}", link))
        assert status == 200 and "Dashboard" in page and "Carers Partnership" in page
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    finally:
        service.send_signal(signal.SIGTERM)
        rest, _ = service.communicate(timeout=20)
    assert service.returncode == 0 and "stopped" in rest
