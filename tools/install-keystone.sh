#!/usr/bin/env bash
# Install the Keystone that the functional tests (tests/functional/keystone) and the
# benchmark run on the loopback: .local/keystone-venv from tools/keystone-requirements.txt.
# With --with-openstackclient, also .local/openstackclient-venv from
# bench/keystone-bench-requirements.txt (the benchmark's `openstack` CLI).
#
# Idempotent: a venv is (re)built only when it is missing or its requirements file changed
# since it was built. Needs python3 with the venv module and PyPI.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

with_osc=0
for arg in "$@"; do
    case "$arg" in
        --with-openstackclient) with_osc=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "install-keystone.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

# install_venv VENV REQUIREMENTS CHECK-COMMAND
install_venv() {
    local venv=$1 requirements=$2 check=$3
    local stamp
    stamp="$venv/.requirements-$(sha256sum "$requirements" | cut -c1-16)"
    if [ -e "$stamp" ] && [ -x "$venv/bin/$check" ]; then
        echo "$venv: up to date"
        return
    fi
    echo "$venv: installing from $requirements"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$requirements"
    "$venv/bin/$check" --version >/dev/null 2>&1
    touch "$stamp"
    echo "$venv: ready"
}

install_venv .local/keystone-venv tools/keystone-requirements.txt keystone-manage
if [ "$with_osc" = 1 ]; then
    install_venv .local/openstackclient-venv bench/keystone-bench-requirements.txt openstack
fi
