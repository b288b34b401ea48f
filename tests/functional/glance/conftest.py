"""A real Glance on the loopback, behind a real Keystone, for the glance_image tests.

Per test module: a Keystone copied from the keystone tests' template, the glance user and
the image service with its endpoints made by our own keystone.catalog states
(service_identity), then Glance 33 from .local/glance-venv (tests/support/glance_server.py): sqlite,
file store, ``[paste_deploy] flavor = keystone``, every token checked by that Keystone.
The image files are qcow2 files made by ``qemu-img create``.
"""

import hashlib
import shutil
import subprocess

import pytest

from tests.conftest import require_service
from tests.functional.keystone.conftest import auth_for, keystone_template  # noqa: F401
from tests.support import glance_server, service_process

GLANCE_PASS = "glance-test-password-0123"


def catalog_pillar(server, glance_url):
    """
    Only what Glance needs: the service project, the admin role, glance's block, and the
    identity endpoints moved to this copy's URL (bootstrap made them with the template's,
    and Glance's auth_token middleware validates tokens at the catalog's identity URL).
    """
    return {
        # salt/keystone/catalog.jinja builds the users' emails and defaults from it.
        "cluster": {"head_fqdn": "cn43.internal"},
        "keystone": {
            "auth": auth_for(server),
            "roles": ["admin"],
            "projects": {"service": {"description": "Service Tenant"}},
            "services": {
                "keystone": {
                    "type": "identity",
                    "description": "OpenStack Identity",
                    "endpoints": {i: server.url for i in ("public", "internal", "admin")},
                },
                "glance": {
                    "type": "image",
                    "description": "OpenStack Image Service",
                    "endpoints": {i: glance_url for i in ("public", "internal", "admin")},
                    "user": {"password": GLANCE_PASS, "project": "service", "role": "admin"},
                },
            },
        },
    }


@pytest.fixture(scope="module")
def glance_stack(keystone_template, loaders, tmp_path_factory):
    """(keystone, glance): Glance on a Keystone whose catalog our own states made."""
    if not glance_server.available():
        require_service(
            f"no Glance in {glance_server.GLANCE_VENV}: run tools/install-glance.sh "
            "(`make test` does)"
        )
    root = tmp_path_factory.mktemp("glance-stack")
    keystone = keystone_template.clone(root / "keystone").start()
    port = service_process.free_port()
    glance_url = f"http://127.0.0.1:{port}"
    try:
        results = list(
            loaders.modules.state.sls(
                "keystone.catalog", pillar=catalog_pillar(keystone, glance_url)
            )
        )
        failed = [(r.id, r.comment) for r in results if r.result is not True]
        assert results and not failed, failed
        glance = glance_server.GlanceServer(
            root / "glance", keystone_url=keystone.url, password=GLANCE_PASS, port=port
        )
        glance.setup().start()
    except BaseException:
        keystone.stop()
        raise
    try:
        yield keystone, glance
    finally:
        glance.stop()
        keystone.stop()


@pytest.fixture
def keystone(glance_stack):
    return glance_stack[0]


@pytest.fixture
def glance(glance_stack):
    return glance_stack[1]


@pytest.fixture
def auth(keystone):
    """The admin user's password auth, as salt/glance/images.jinja builds it."""
    return {
        "auth_url": keystone.url,
        "username": "admin",
        "password": keystone.admin_password,
        "project_name": "admin",
        "retry_timeout": 5,
    }


@pytest.fixture(scope="session")
def qcow2(tmp_path_factory):
    """make(size) -> (path, md5, sha256) of a fresh qcow2 image of that virtual size."""
    qemu_img = shutil.which("qemu-img")
    if qemu_img is None:
        require_service(
            "qemu-img is not installed (apt-get install qemu-utils; tools/apt-packages.txt)"
        )
    folder = tmp_path_factory.mktemp("qcow2")
    made = {}

    def make(size="16M"):
        if size not in made:
            path = folder / f"test-{size}.qcow2"
            subprocess.run(
                [qemu_img, "create", "-q", "-f", "qcow2", str(path), size],
                check=True,
                capture_output=True,
            )
            data = path.read_bytes()
            made[size] = (
                str(path),
                hashlib.md5(data).hexdigest(),
                hashlib.sha256(data).hexdigest(),
            )
        return made[size]

    return make
