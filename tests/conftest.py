"""Shared pytest configuration for every test layer."""

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent

#: Set to 1 by `make test` and `.ci/run`: a real service a test needs that is missing there
#: is a failure, not a skip.
REQUIRE_SERVICES = "HLT_REQUIRE_SERVICES"


def services_required():
    """Whether this run must have every real service (env ``HLT_REQUIRE_SERVICES=1``)."""
    return os.environ.get(REQUIRE_SERVICES, "") == "1"


def require_service(reason):
    """
    Stop the current test because something real it needs is missing (the test Keystone,
    network namespaces, a file of the checkout, a kernel capability); ``reason`` says what and
    how to get it. A developer's quick run skips the test with that reason; with
    ``HLT_REQUIRE_SERVICES=1`` (`make test`, `.ci/run`) the test fails instead, so a green
    suite never hides a real-service test that did not run. Call it wherever a test or
    fixture would call ``pytest.skip``; for a whole module use the marker
    ``pytest.mark.requires_service(why_not)``, where ``why_not`` is None when all is there.
    """
    if services_required():
        pytest.fail(f"{reason} ({REQUIRE_SERVICES}=1: a missing service fails)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def repo_root():
    """The checkout under test."""
    return REPO


@pytest.fixture(scope="session")
def salt_factories_config(tmp_path_factory):
    """Keep every daemon's files under pytest's temp dir and stop them quickly."""
    return {
        "root_dir": str(tmp_path_factory.mktemp("salt-root")),
        "slow_stop": False,
    }


def pytest_configure(config):
    """
    Hand Salt's start-up log buffer to pytest's logging now: left alone, Salt
    flushes it at exit into pytest's already closed capture stream. Register the
    ``requires_service`` marker.
    """
    import atexit  # pylint: disable=import-outside-toplevel

    import salt._logging.impl  # pylint: disable=import-outside-toplevel

    temp_handler = salt._logging.impl.get_temp_handler()
    salt._logging.impl.shutdown_temp_handler()
    if temp_handler is not None:
        # Salt 3006 also registered the handler's flush with atexit.
        atexit.unregister(temp_handler.flush)
    config.addinivalue_line(
        "markers",
        "requires_service(why_not): require_service(why_not) before the test when why_not "
        "is not None (skip, or fail under HLT_REQUIRE_SERVICES=1)",
    )


def pytest_runtest_setup(item):
    for marker in item.iter_markers("requires_service"):
        why_not = marker.args[0] if marker.args else marker.kwargs.get("why_not")
        if why_not is not None:
            require_service(why_not)
