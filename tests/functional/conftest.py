"""Functional tests: Salt's loaders in-process, real files and services, no daemons."""

import pytest
import salt.config
from saltfactories.utils.functional import Loaders

from tests.conftest import REPO


@pytest.fixture(scope="module")
def minion_opts(tmp_path_factory):
    """Minion options that load the repo's custom modules straight from the checkout."""
    root = tmp_path_factory.mktemp("functional-minion")
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": "functional.internal",
            "root_dir": str(root),
            "cachedir": str(root / "cache"),
            "pki_dir": str(root / "pki"),
            "sock_dir": str(root / "sock"),
            "file_client": "local",
            "file_roots": {"base": [str(REPO / "salt")]},
            "pillar_roots": {"base": [str(root / "pillar")]},
            "module_dirs": [str(REPO / "_modules")],
            "states_dirs": [str(REPO / "_states")],
            "grains_dirs": [str(REPO / "_grains")],
            "utils_dirs": [str(REPO / "_utils")],
            "beacons_dirs": [str(REPO / "_beacons")],
            "test": False,
        }
    )
    return opts


@pytest.fixture(scope="module")
def loaders(minion_opts):
    return Loaders(minion_opts)


@pytest.fixture(autouse=True)
def _reset_loaders_state(loaders):
    try:
        yield
    finally:
        loaders.reset_state()
