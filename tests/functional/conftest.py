"""Functional tests: Salt's loaders in-process, real files and services, no daemons."""

import pytest
from saltfactories.utils.functional import Loaders

from tests.support.checkout import repo_minion_opts


@pytest.fixture(scope="module")
def minion_opts(tmp_path_factory):
    """Minion options that load the repo's custom modules straight from the checkout."""
    return repo_minion_opts(tmp_path_factory.mktemp("functional-minion"))


@pytest.fixture(scope="module")
def loaders(minion_opts):
    return Loaders(minion_opts)


@pytest.fixture(autouse=True)
def _reset_loaders_state(loaders):
    try:
        yield
    finally:
        loaders.reset_state()
