#!/usr/bin/env bash
# Install the Salt 3006.8 test leg (make test-3006): .local/salt3006-venv, on Python 3.10 (the
# Python of Salt 3006's onedir build that the Fedora 19 / CentOS 7 minions run) when this
# machine has one, else on python3. Two steps, as on cn43:
#   1. tools/salt3006-requirements.txt: salt==3006.8 and the test tools (what the onedir and
#      this leg's pytest need), without the formula's own packages;
#   2. the formula's requirement files (salt_pip_requirements in salt/parameters/defaults.yaml:
#      saltext-mysql, PyMySQL, keystoneauth1, ... pinned and hashed), in the states' order and
#      the way Salt's pip.installed runs them: `<python> -m pip install --requirement <file>`,
#      pip's hash-checking mode. The leg tests exactly what the head installs.
#
# Idempotent: the venv is (re)built only when it is missing or one of these files changed
# since it was built. Needs the venv module and PyPI. `--list`: print the formula's files
# (step 2), one a line, and do nothing else.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=.local/salt3006-venv
REQUIREMENTS=tools/salt3006-requirements.txt
# salt://<path> of each salt_pip_requirements, in file order (mariadb's, then keystone's).
mapfile -t FORMULA_REQUIREMENTS < <(
    sed -n 's|^ *salt_pip_requirements: *\([^ #]*\).*|salt/\1|p' salt/parameters/defaults.yaml)
if [ "${#FORMULA_REQUIREMENTS[@]}" -eq 0 ]; then
    echo "salt/parameters/defaults.yaml names no salt_pip_requirements file" >&2
    exit 1
fi
if [ "${1:-}" = --list ]; then
    printf '%s\n' "${FORMULA_REQUIREMENTS[@]}"
    exit 0
fi

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

stamp="$VENV/.requirements-$(cat "$REQUIREMENTS" "${FORMULA_REQUIREMENTS[@]}" | sha256sum | cut -c1-16)"
if [ -e "$stamp" ] && [ -x "$VENV/bin/salt-call" ]; then
    echo "$VENV: up to date ($("$VENV/bin/python" --version))"
    exit 0
fi
python=$(find_python)
echo "$VENV: installing from $REQUIREMENTS ${FORMULA_REQUIREMENTS[*]} with $("$python" --version)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$python" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
for file in "${FORMULA_REQUIREMENTS[@]}"; do
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$file"
done
"$VENV/bin/python" -m pip check
"$VENV/bin/python" -c 'import salt.version; assert salt.version.__version__ == "3006.8"'
touch "$stamp"
echo "$VENV: ready"
