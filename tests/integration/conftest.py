"""Integration tests: the local cluster of real Salt daemons (tests/support/localcluster.py)."""

from tests.support.localcluster import (  # noqa: F401  (pytest fixtures)
    cluster_master,
    cluster_minions,
    cluster_pillar_root,
    salt_cli,
    salt_run_cli,
)
