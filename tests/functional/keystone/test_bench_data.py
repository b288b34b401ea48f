"""
bench/bench_keystone.py keeps up with the catalog's data: its Salt side converges the
example catalog on a real Keystone, and its CLI side gets every value it types. The
`openstack` CLI itself is not installed by `make test` (`make bench` installs it), so the
commands are built here, not run.
"""

import pytest

from bench import bench_keystone as bench

pytestmark = pytest.mark.slow


def test_the_bench_catalog_converges_and_its_rerun_changes_nothing(fresh_keystone, tmp_path):
    server = fresh_keystone()
    loaders = bench.loaders_for(tmp_path / "minion")
    _seconds, changed = bench.in_process(loaders, server)
    assert changed > 0
    loaders.reset_state()
    _seconds, changed = bench.in_process(loaders, server)
    assert changed == 0


def test_the_bench_cli_gets_every_value_it_types(tmp_path):
    commands = bench.cli_commands(None, bench.completed_catalog(tmp_path / "render"))
    assert all(isinstance(arg, str) and arg for command in commands for arg in command)
    assert [
        "endpoint",
        "create",
        "--region",
        "regionOne",
        "compute",
        "public",
        "http://cn43.internal:8774/v2/%(tenant_id)s",
    ] in commands
