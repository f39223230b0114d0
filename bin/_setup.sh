# Sourced by bin/serve and bin/test: make .venv (Python >= 3.12) and install what the
# given requirements file lists, re-installing only when that file has changed.
set -euo pipefail

find_python() {
    local candidate dir
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    # pyenv installs that are not the global default (a bare python3.12 shim then fails).
    for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13* "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*; do
        if [ -x "$dir/bin/python" ]; then
            echo "$dir/bin/python"
            return 0
        fi
    done
    return 1
}

setup_venv() {
    local requirements=$1 stamp=.venv/.installed-$(basename "$1")
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
        local python
        if ! python=$(find_python); then
            echo "error: Python 3.12 or newer is needed and none was found." >&2
            echo "Install it (https://www.python.org/downloads/, or: pyenv install 3.12)" >&2
            echo "or point PYTHON at it: PYTHON=/path/to/python3.12 $0" >&2
            exit 1
        fi
        echo "Creating .venv with $("$python" --version 2>&1) ($python)"
        rm -rf .venv
        "$python" -m venv .venv
    fi
    local wanted
    wanted=$(cat "$requirements" requirements.txt | sha256sum | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        echo "Installing $requirements into .venv"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
        echo "$wanted" > "$stamp"
    fi
}

setup_optional() {
    # An extra that needs more than pip (a compiler, system headers): try it once per change
    # of its file, and say what is missing instead of failing the whole setup.
    local requirements=$1 what=$2 stamp=.venv/.tried-$(basename "$1")
    local wanted
    wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && return 0
    if .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" >.venv/.tried.log 2>&1; then
        echo "$wanted" > "$stamp"
    else
        echo "note: $what is not available: installing $requirements failed (see .venv/.tried.log;" >&2
        echo "      python-ldap needs a C compiler, libldap2-dev and libsasl2-dev). Everything else works." >&2
        echo "$wanted" > "$stamp"
    fi
}
