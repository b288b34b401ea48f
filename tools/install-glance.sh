#!/usr/bin/env bash
# Install the Glance that the functional tests (tests/functional/glance) run on the
# loopback: .local/glance-venv from tools/glance-requirements.txt.
#
# Idempotent: the venv is (re)built only when it is missing or its requirements file changed
# since it was built. Needs python3 with the venv module and PyPI.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.local/glance-venv
REQUIREMENTS=tools/glance-requirements.txt

case "${1:-}" in
    "") ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "install-glance.sh: unknown argument: $1" >&2; exit 2 ;;
esac

stamp="$VENV/.requirements-$(sha256sum "$REQUIREMENTS" | cut -c1-16)"
if [ -e "$stamp" ] && [ -x "$VENV/bin/glance-manage" ]; then
    echo "$VENV: up to date"
    exit 0
fi
echo "$VENV: installing from $REQUIREMENTS"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
"$VENV/bin/python" -c 'import glance.common.wsgi_app, waitress'
touch "$stamp"
echo "$VENV: ready"
