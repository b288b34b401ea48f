"""Shared pytest configuration for every test layer."""

import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent


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
    flushes it at exit into pytest's already closed capture stream.
    """
    import atexit  # pylint: disable=import-outside-toplevel

    import salt._logging.impl  # pylint: disable=import-outside-toplevel

    temp_handler = salt._logging.impl.get_temp_handler()
    salt._logging.impl.shutdown_temp_handler()
    if temp_handler is not None:
        # Salt 3006 also registered the handler's flush with atexit.
        atexit.unregister(temp_handler.flush)
