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
