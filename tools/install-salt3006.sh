#!/usr/bin/env bash
# Install the Salt 3006.8 test leg (make test-3006): .local/salt3006-venv from
# tools/salt3006-requirements.txt, on Python 3.10 (the Python of Salt 3006's onedir build that
# the Fedora 19 / CentOS 7 minions run) when this machine has one, else on python3.
#
# Idempotent: the venv is (re)built only when it is missing or the requirements file changed
# since it was built. Needs the venv module and PyPI.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=.local/salt3006-venv
REQUIREMENTS=tools/salt3006-requirements.txt

# python3.10: on PATH, or one of pyenv's versions, else python3 (said so below).
find_python() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
    if command -v python3.10 >/dev/null 2>&1 && python3.10 --version >/dev/null 2>&1; then
        command -v python3.10; return
    fi
    local candidate
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10; do
        if [ -x "$candidate" ]; then echo "$candidate"; return; fi
    done
    echo python3
}

stamp="$VENV/.requirements-$(sha256sum "$REQUIREMENTS" | cut -c1-16)"
if [ -e "$stamp" ] && [ -x "$VENV/bin/salt-call" ]; then
    echo "$VENV: up to date ($("$VENV/bin/python" --version))"
    exit 0
fi
python=$(find_python)
echo "$VENV: installing from $REQUIREMENTS with $("$python" --version)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$python" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
"$VENV/bin/python" -c 'import salt.version; assert salt.version.__version__ == "3006.8"'
touch "$stamp"
echo "$VENV: ready"
