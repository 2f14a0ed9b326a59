"""deploy/clerk.service: systemd accepts it, and it runs clerk unprivileged, hardened and restartable."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UNIT = REPO / "deploy" / "clerk.service"
ENV_EXAMPLE = REPO / "deploy" / "clerk.env.example"
Unit = dict[str, list[str]]


def settings(text: str) -> Unit:
    """Every Key=value of the unit, by key (a key may be given more than once)."""
    found: Unit = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.fixture(scope="module")
def unit() -> Unit:
    return settings(UNIT.read_text(encoding="utf-8"))


def one(unit: Unit, key: str) -> str:
    values = unit.get(key, [])
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def test_clerk_runs_as_its_own_unprivileged_user_from_the_documented_paths(unit: Unit) -> None:
    assert one(unit, "User") == "clerk" and one(unit, "Group") == "clerk"
    assert one(unit, "ExecStart") == "/opt/clerk/.venv/bin/clerk run --config /etc/clerk/config.toml"
    assert one(unit, "EnvironmentFile") == "/etc/clerk/clerk.env"
    assert one(unit, "WorkingDirectory") == "/var/lib/clerk"
    assert one(unit, "StateDirectory") == "clerk"
    assert one(unit, "StateDirectoryMode") == "0700" and one(unit, "UMask") == "0077"
    assert one(unit, "WantedBy") == "multi-user.target"


def test_it_restarts_on_failure_and_gives_clerk_time_to_stop(unit: Unit) -> None:
    assert one(unit, "Restart") == "on-failure"
    assert int(one(unit, "RestartSec").removesuffix("s")) >= 1
    assert one(unit, "KillSignal") == "SIGTERM"
    stop = int(one(unit, "TimeoutStopSec").removesuffix("s"))
    assert 5 < stop <= 30  # clerk exits within 5 s of SIGTERM; systemd must not SIGKILL it first


def test_it_is_hardened_with_only_the_data_directory_writable(unit: Unit) -> None:
    expected = {
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/clerk",
        "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes", "SystemCallArchitectures": "native", "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }
    assert {key: one(unit, key) for key in expected} == expected
    assert unit["SystemCallFilter"][0] == "@system-service"


def test_the_environment_file_example_names_every_secret_the_example_config_names() -> None:
    config = (REPO / "config.example.toml").read_text(encoding="utf-8")
    named = set(re.findall(r'(?:password_env|token_env)\s*=\s*"([A-Z0-9_]+)"', config))
    assert named >= {"CLERK_SMTP_PASSWORD", "CLERK_IMAP_PASSWORD", "CLERK_TELEGRAM_TOKEN"}
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    for name in named:
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), name


def _clerk_here() -> Path:
    """The clerk command of the environment running the tests (ExecStart must exist for verify)."""
    clerk = Path(sys.executable).parent / "clerk"
    if not clerk.exists():
        pytest.skip(f"no clerk command beside {sys.executable}")
    return clerk


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    text = UNIT.read_text(encoding="utf-8").replace("/opt/clerk/.venv/bin/clerk", str(_clerk_here()))
    copy = tmp_path / "clerk.service"
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "clerk.service" in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr

    security = subprocess.run([analyze, "security", "--offline=yes", str(copy)],
                              capture_output=True, text=True, timeout=60)
    exposure = re.search(r"Overall exposure level for clerk\.service: ([0-9.]+)", security.stdout)
    if security.returncode != 0 and exposure is None:
        return  # an older systemd-analyze without --offline: verify is the check
    assert exposure is not None, security.stdout + security.stderr
    assert float(exposure.group(1)) <= 2.0, security.stdout
