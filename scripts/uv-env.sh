# Sourced by scripts/run.sh and scripts/test.sh: puts the pinned uv in .tools/ (installed with pip
# from scripts/requirements-uv.txt, every wheel checked against its hash) and sets how uv may find
# Python: the machine's python3 (3.11 or newer), never a downloaded one.
#   ensure_uv   -> sets $UV to .tools/bin/uv, installing it first when missing or another version

export UV_PYTHON_DOWNLOADS=never
export UV_PYTHON_PREFERENCE="${UV_PYTHON_PREFERENCE:-only-system}"
export UV_PYTHON="${UV_PYTHON:-python3}"

ensure_uv() {
    local want
    want="$(sed -n 's/^uv==\([0-9.]*\).*/\1/p' scripts/requirements-uv.txt)"
    UV=.tools/bin/uv
    if [ -x "$UV" ] && [ "$("$UV" --version 2>/dev/null | cut -d' ' -f2)" = "$want" ]; then
        return 0
    fi
    printf '==> %s\n' "installing uv $want into .tools/ (hash-checked)" >&2
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        printf '==> %s\n' "clerk needs Python 3.11 or newer as python3; found $(python3 --version 2>&1)" >&2
        return 1
    fi
    rm -rf .tools
    python3 -m venv .tools
    .tools/bin/python -m pip install -q --disable-pip-version-check --require-hashes \
        -r scripts/requirements-uv.txt
}
