"""
glance_image.present through a fault proxy (tests/support/faults.py) in front of the real
Glance: the catalog's image endpoints are moved to the proxy, then one fault hits a run (an
answer lost after the image was made or its data stored, an upload never answered, HTTP 500
for a while, Glance killed right after storing the data and restarted). The next run
converges and the one after changes and writes nothing, with exactly one image of the name,
active with the file's checksum.
"""

import re

import pytest

from tests.functional.glance.conftest import catalog_pillar
from tests.functional.glance.test_glance_image import images_named, present, unique  # noqa: F401
from tests.support.faults import FaultProxy
from tests.support.glance_server import writes

pytestmark = pytest.mark.slow

CREATE = "/v2/images"
UPLOAD = re.compile(r"^/v2/images/[^/]+/file$")


@pytest.fixture(scope="module")
def proxy(loaders, glance_stack):
    keystone, glance = glance_stack
    with FaultProxy(glance.url) as proxy:
        pillar = catalog_pillar(keystone, proxy.url)
        results = list(loaders.modules.state.sls("keystone.catalog", pillar=pillar))
        assert [(r.id, r.comment) for r in results if r.result is not True] == []
        loaders.reset_state()
        yield proxy


@pytest.fixture(autouse=True)
def _no_fault(proxy):
    proxy.clear()
    yield
    proxy.wait_restarted()
    proxy.clear()


FAULTS = {
    # the image made, its answer lost, nothing answering for a second
    "lost create": lambda proxy, glance: proxy.drop_answer("POST", CREATE, down=1.0),
    # the data stored, its answer lost
    "lost upload": lambda proxy, glance: proxy.drop_answer("PUT", UPLOAD, down=1.0),
    # the upload never reached Glance, and got no answer
    "upload not applied": lambda proxy, glance: proxy.drop_answer("PUT", UPLOAD, apply=False),
    # the upload accepted and never answered
    "hung upload": lambda proxy, glance: proxy.hang(3.0, method="PUT"),
    # HTTP 500 to everything for 1.5 s from the first request
    "500": lambda proxy, glance: proxy.fail(seconds=1.5, status=500),
    # Glance killed right after it stored the data, back half a second later
    "restart": lambda proxy, glance: proxy.restart(
        "PUT", UPLOAD, glance.stop, glance.start, down=0.5
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_after_a_fault_the_next_run_converges_and_the_one_after_changes_nothing(
    loaders, glance, proxy, auth, qcow2, unique, fault
):
    image = qcow2("16M")
    name = unique()
    armed = FAULTS[fault](proxy, glance)
    present(loaders, name, image, auth)  # the run the fault hits: it may fail
    assert armed.hits, f"the {fault} fault met no request"
    proxy.wait_restarted()
    proxy.clear()

    loaders.reset_state()  # the next run
    ret = present(loaders, name, image, auth)
    assert ret.result is True, ret.comment

    loaders.reset_state()
    mark = glance.mark()
    again = present(loaders, name, image, auth)
    assert (again.result, again.changes) == (True, {}), again.comment
    assert writes(glance.requests(mark)) == []
    (found,) = images_named(loaders, name, auth)
    assert (found["status"], found["checksum"]) == ("active", image[1])


@pytest.mark.parametrize("lost", ["lost create", "lost upload"])
def test_a_lost_answer_does_not_fail_the_run(loaders, glance, proxy, auth, qcow2, unique, lost):
    image = qcow2("16M")
    name = unique()
    FAULTS[lost](proxy, glance)
    ret = present(loaders, name, image, auth)
    assert ret.result is True, ret.comment
    (found,) = images_named(loaders, name, auth)
    assert (found["status"], found["checksum"]) == ("active", image[1])
