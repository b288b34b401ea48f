"""A real Keystone on the loopback for the keystone_* modules' functional tests.

One Keystone is set up (db_sync, fernet and credential keys, bootstrap) per session as a
template and never started; the shared ``keystone`` server and every ``fresh_keystone``
are copies of it, so a test that needs "Keystone just after bootstrap" costs a process
start, not a db_sync. Requests are counted from the server's access log.
"""

import re
import uuid

import pytest
import yaml

from tests.conftest import REPO, require_service
from tests.support import keystone_server


@pytest.fixture(scope="session")
def keystone_template(tmp_path_factory):
    if not keystone_server.available():
        require_service(
            f"no Keystone in {keystone_server.KEYSTONE_VENV}: run tools/install-keystone.sh "
            "(`make test` does)"
        )
    template = keystone_server.KeystoneServer(tmp_path_factory.mktemp("keystone-template"))
    return template.setup()


@pytest.fixture(scope="session")
def keystone(keystone_template, tmp_path_factory):
    """The Keystone shared by the tests that create objects under unique names."""
    server = keystone_template.clone(tmp_path_factory.mktemp("keystone-shared"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_keystone(keystone_template, tmp_path):
    """Make a Keystone in the state ``keystone-manage bootstrap`` leaves it in."""
    started = []

    def make(name="fresh"):
        server = keystone_template.clone(tmp_path / name)
        started.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in started:
            server.stop()


def auth_for(server, retry_timeout=5):
    """The ``auth`` argument of the modules for ``server``'s admin token."""
    return {"auth_url": server.url, "token": server.admin_token, "retry_timeout": retry_timeout}


@pytest.fixture
def auth(keystone):
    return auth_for(keystone)


@pytest.fixture
def unique(request):
    """Names no other test on the shared Keystone uses."""
    counter = iter(range(1000))

    def make(prefix="t"):
        test = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name.removeprefix("test_"))[:24]
        return f"{prefix}-{test}-{uuid.uuid4().hex[:6]}{next(counter)}"

    return make


def writes(requests):
    return keystone_server.writes(requests)


EXAMPLE_PILLAR = REPO / "pillar" / "keystone.example.yaml"


@pytest.fixture
def example_pillar():
    """The runbook's catalog, as documented in pillar/keystone.example.yaml."""
    return yaml.safe_load(EXAMPLE_PILLAR.read_text())
