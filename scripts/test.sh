#!/usr/bin/env bash
# The one command that sets up a fresh Debian machine for clerk's tests and runs them:
#   - installs Dovecot (IMAP + LMTP) and openssl with apt when missing and running as root
#     (the test suite starts its own private Dovecot on loopback; the system one is not started),
#     and, for the console's browser tests (tests/browser), Debian's chromium with fonts (a page
#     screenshot without fonts is blank) and libatomic1 (Playwright's node needs it), and node/npm,
#   - runs `npm ci` when node_modules/ is missing or older than package-lock.json (axe-core for the
#     browser tests' accessibility checks; the console's built assets are committed in web/static/),
#   - installs the pinned uv into .tools/ and, with it, exactly the versions in uv.lock into .venv
#     (`uv sync --locked`: the project and its dev group; it refuses a lock that no longer matches
#     pyproject.toml, so what passes here is the locked set),
#   - runs `ruff check .`, `mypy` (strict, clerk/mail/bot/scheduler) and then `pytest -q "$@"`
#     (pytest collecting nothing is a failure); the first that fails stops the run.
# Usage: scripts/test.sh [pytest args...]        (CI runs it through .ci/run with CI=true)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '==> %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
    # Install Debian packages quietly, without starting their services (no policy-rc.d
    # of our own is left behind); print apt's output only when it fails.
    local policy=/usr/sbin/policy-rc.d made_policy=0 apt_log
    apt_log="$(mktemp)"
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
    } >"$apt_log" 2>&1 || rc=$?
    if [ "$made_policy" -eq 1 ]; then rm -f "$policy"; fi
    if [ "$rc" -ne 0 ]; then
        cat "$apt_log" >&2
        rm -f "$apt_log"
        log "apt-get install $* failed"
        return "$rc"
    fi
    rm -f "$apt_log"
}

# --- system packages: Dovecot for the IMAP tests, openssl for the SMTP STARTTLS cert ---------
missing=()
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    missing+=(dovecot-imapd dovecot-lmtpd)
fi
if ! command -v openssl >/dev/null 2>&1; then
    missing+=(openssl)
fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1 && [ ! -x .tools/bin/uv ]; then
    missing+=(python3-venv)
fi
# The browser tests: Debian's chromium (never a downloaded one), fonts, libatomic1; npm for axe-core.
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    missing+=(chromium fonts-liberation fonts-dejavu-core libatomic1)
fi
if ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if is_root && command -v apt-get >/dev/null 2>&1; then
        log "installing ${missing[*]} with apt"
        apt_install "${missing[@]}"
    else
        log "missing ${missing[*]} and cannot apt-get install (not root / no apt):" \
            "the Dovecot or browser tests will be skipped (and fail when CI=true)"
    fi
fi

# --- npm packages: exactly package-lock.json (axe-core for the browser tests) -----------------
if command -v npm >/dev/null 2>&1; then
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        log "installing the locked npm packages into node_modules (npm ci)"
        npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
    fi
fi

# --- Python environment: exactly the locked versions -------------------------------------------
# shellcheck source=scripts/uv-env.sh
. scripts/uv-env.sh
ensure_uv
log "installing the locked versions into .venv (uv sync --locked)"
"$UV" sync --locked --quiet

# --- checks -----------------------------------------------------------------------------------
log "ruff check ."
.venv/bin/python -m ruff check .

# The packages' types, strict (pyproject.toml [tool.mypy]: which packages, which imports are untyped).
log "mypy"
.venv/bin/python -m mypy

log "pytest -q $*"
status=0
.venv/bin/python -m pytest -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
    log "pytest collected no tests: failing"
fi
if pgrep -f 'dovecot -F -c /tmp/dc' >/dev/null 2>&1; then
    log "warning: a test Dovecot (dovecot -F -c /tmp/dc...) is still running after pytest"
fi
exit "$status"
