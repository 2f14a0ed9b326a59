#!/usr/bin/env bash
# The one command that installs clerk on a fresh machine and runs it on a configuration
# (default: config.example.toml, which needs no mail server and no credentials).
#   scripts/run.sh [CONFIG] [clerk run options...]
# It installs exactly the versions in uv.lock (no development tools) into .venv with the pinned uv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
config="${1:-config.example.toml}"
shift || true

# shellcheck source=scripts/uv-env.sh
. scripts/uv-env.sh
ensure_uv
"$UV" sync --locked --no-dev --quiet
.venv/bin/clerk init --config "$config"
if [ "$config" = "config.example.toml" ]; then
    # The example membership, so there is someone to invite.
    .venv/bin/clerk members import members.example.csv --config "$config" >/dev/null
fi
exec .venv/bin/clerk run --config "$config" "$@"
