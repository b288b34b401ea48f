# hlt-cloud: the two everyday commands are `make demo` and `make test`.
# Every target installs what it needs itself (Debian packages, .venv).

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv apt keystone glance salt3006 secrets show master-finger master-backup master-restore demo test test-3006 test-fast lint bench bench-status bench-firewall bench-dryrun bench-scale clean

help:
	@echo "make demo                 start a local master + 5 minions, orchestration in test mode, status, stop"
	@echo "make test                 run the whole test suite (tests/unit, functional, integration)"
	@echo "                          and the Salt 3006.8 leg (make test-3006)"
	@echo "make secrets              generate missing secrets into pillar/secrets.yaml (0600)"
	@echo "make secrets ROTATE=<name> a new value for one secret; then orch.rotate (docs/operations.md)"
	@echo "make show NODE=<id>       print a node's compiled highstate as JSON"
	@echo "make master-finger        print the master_finger line every minion gets before it enrols"
	@echo "make master-backup ARCHIVE=<path>   secrets, inventory, the master's and the accepted"
	@echo "                          minions' keys, its cache records: one 0600 tar.gz (FORCE=1 replaces)"
	@echo "make master-restore ARCHIVE=<path>  put them back on a new checkout, the master stopped"
	@echo "make lint                 ruff, yamllint, salt-lint"
	@echo "make bench                the benchmarks (bench/)"
	@echo "make bench-status         hlt.status: job-cache scan vs each node's record, a month of jobs"
	@echo "make bench-firewall       the head's rules at 5, 250, 1000 nodes: per-node rules vs one ipset"
	@echo "make bench-dryrun         a compute node's drift check (state.apply compute test=True): time, package queries"
	@echo "make bench-scale [M=40]   one master, 5, 20 and M real minions: pillar, compile, rollout,"
	@echo "                          hlt.status, self-heal storm, master RSS/CPU (root; ~20 min at 40)"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

apt:
	@tools/install-apt.sh

# The real Keystone the keystone tests run on the loopback (.local/keystone-venv).
keystone:
	@tools/install-keystone.sh

# Salt 3006.8, what the Fedora 19 / CentOS 7 minions run (.local/salt3006-venv, Python 3.10).
SALT3006_VENV := .local/salt3006-venv
salt3006:
	@tools/install-salt3006.sh

# On Salt 3006.8: the custom modules' unit and functional tests (openstack_ini, keystone_v3
# and its states, selfheal and the bridge_gateway beacon, the hltcloud grains); the state tree
# (every state and orch step against 3006.8's functions, dry runs of the head and compute
# highstates with Fedora 19 / CentOS 7 grains, the macros' failing paths, orch.cloud rendered
# and run on the master, the data check); and, for real, the firewall in a netns, the mariadb
# formula on a real MariaDB and the keystone formula on a real Keystone; the bounded download
# (download_cache, which Jinja calls on every RedHat node) against a loopback HTTP server;
# the backups of that MariaDB and the keystone database restored from them; orch.rotate
# compiled and run on the master, its steps rotating a database and a Keystone password there.
# The Python packages the head's Salt installs (their pins, the states that install them).
SALT3006_TESTS := tests/unit/test_grains_hltcloud.py tests/unit/test_keystone_v3.py \
	tests/unit/test_keystone_states.py tests/unit/test_state_return.py \
	tests/unit/test_openstack_ini_document.py \
	tests/unit/test_openstack_ini_state.py tests/unit/test_openstack_ini_values.py \
	tests/unit/test_openstack_ini_once.py \
	tests/functional/test_openstack_ini.py tests/functional/test_selfheal_modules.py \
	tests/functional/test_drained.py tests/functional/test_killswitch_highstate.py \
	tests/functional/keystone tests/functional/test_qpid_config.py \
	tests/unit/test_salt_pip_requirements.py tests/functional/test_salt_python.py \
	tests/functional/test_state_tree_run.py \
	tests/functional/test_compute_highstate.py tests/functional/test_orch_render.py \
	tests/functional/test_validation.py tests/functional/test_firewall_netns.py \
	tests/functional/mariadb tests/functional/test_head_keystone.py \
	tests/unit/test_hltcloud_schema.py tests/functional/test_secrets_file.py \
	tests/unit/test_layers.py \
	tests/unit/test_openstack_client.py tests/functional/test_openstack_client.py \
	tests/unit/test_download_cache.py tests/functional/test_download_cache.py \
	tests/functional/test_highstate_record.py tests/functional/test_backup.py \
	tests/unit/test_rollout_runner.py \
	tests/functional/test_orch_rotate_render.py tests/functional/test_orch_rotate_stopped.py \
	tests/functional/test_rotate.py tests/functional/test_minion_ids.py \
	tests/functional/test_package_queries.py tests/functional/test_reactor_render.py \
	tests/unit/test_hltcloud_secrets_file.py \
	tests/unit/test_guarded_states.py tests/functional/test_compute_network.py \
	tests/unit/test_hltcloud_parameters.py tests/functional/test_os_release_data.py \
	tests/unit/test_heal_queue.py tests/functional/test_heal_dispatch.py

# The real Glance the glance tests run on the loopback (.local/glance-venv).
glance:
	@tools/install-glance.sh

# ROTATE=<name>: a new value for that secret (the old file kept as pillar/secrets.yaml.previous);
# then `salt-run state.orchestrate orch.rotate` puts it in place (docs/operations.md, "Rotating a secret").
# Its raw value goes through the environment, one argument, as NODE's does.
unexport ROTATE
secrets: export HLT_ROTATE = $(value ROTATE)
secrets: venv
	@$(PY) -m tools.make_secrets $${HLT_ROTATE:+--rotate "$$HLT_ROTATE"}

# On cn43, once the master has started: the line that pins its key on the minions
# (/etc/salt/minion.d/master_finger.conf on every node, before its first start).
master-finger: venv
	@$(PY) -m tools.master_finger

# The master's state that git does not hold, in one archive and back (tools/master_archive.py;
# docs/operations.md, "Rebuilding the master"). ARCHIVE reaches the tool as one argument through the
# environment, as NODE below; FORCE=1 replaces an existing archive, secrets file or key.
unexport ARCHIVE
master-backup master-restore: export HLT_ARCHIVE = $(value ARCHIVE)
master-backup: venv
	@$(PY) -m tools.master_archive backup --to "$$HLT_ARCHIVE" $(if $(filter 1,$(FORCE)),--force)

master-restore: venv
	@$(PY) -m tools.master_archive restore --from "$$HLT_ARCHIVE" $(if $(filter 1,$(FORCE)),--force)

# NODE reaches tools.show as one argument, never as shell or make text: its raw
# value goes through the environment (a quote, `;` or $(...) in it runs nothing).
# Read-only: without pillar/secrets.yaml it says to run `make secrets`.
unexport NODE
show: export HLT_SHOW_NODE = $(value NODE)
show: venv
	@$(PY) -m tools.show "$$HLT_SHOW_NODE"

demo: apt venv
	$(PY) -m pytest tests/support/demo_cluster.py -q -s --no-header -p no:warnings

# HLT_REQUIRE_SERVICES=1: a real-service test that cannot run fails instead of
# skipping (tests/conftest.py, require_service).
# The two legs' pytest commands (without PYTEST_ARGS).
PYTEST_3008 = HLT_REQUIRE_SERVICES=1 $(PY) -m pytest
PYTEST_3006 = HLT_REQUIRE_SERVICES=1 PATH='$(CURDIR)/$(SALT3006_VENV)/bin:'$$PATH \
	$(SALT3006_VENV)/bin/python -m pytest $(SALT3006_TESTS)

# Three parts at the same time (tools/run_parallel.py prints each one's output whole when it
# ends): the tests wait on daemons and services about as much as they compute, so on 2 cores
# the parts together take 31.5 min from a fresh clone where they took 57 one after another
# (docs/testing.md, "Suite time").
# With PYTEST_ARGS (a -k, a file), the two legs run one after the other with them, as before.
test: apt venv keystone glance salt3006
ifeq ($(strip $(PYTEST_ARGS)),)
	@$(PY) tools/run_parallel.py \
	    "Salt 3008, tests/functional=$(PYTEST_3008) tests/functional" \
	    "Salt 3008, the rest of tests/=$(PYTEST_3008) tests --ignore=tests/functional" \
	    "Salt 3006.8 leg=$(PYTEST_3006)"
else
	$(PYTEST_3008) $(PYTEST_ARGS)
	$(PYTEST_3006) $(PYTEST_ARGS)
endif

test-3006: keystone salt3006
	$(PYTEST_3006) $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/yamllint -s .
	@find salt pillar reactor \( -name '*.sls' -o -name '*.jinja' \) -not -path 'salt/_*' -print0 \
	    | xargs -0 $(VENV)/bin/salt-lint

# Benchmarks: each prints its figures and ratios against the runbook's way.
bench: apt venv
	tools/install-keystone.sh --with-openstackclient
	$(PY) bench/bench_openstack_ini.py
	$(PY) bench/bench_keystone.py
	$(PY) -m pytest bench/bench_selfheal.py -p tests.conftest -q -s --no-header -p no:warnings
	@$(MAKE) --no-print-directory bench-status
	@$(MAKE) --no-print-directory bench-firewall
	@$(MAKE) --no-print-directory bench-dryrun

# hlt.status on a synthetic month of jobs for 40 minions (a temp master cachedir): the
# old job-cache scan against each node's own record, timed in the same run.
bench-status: venv
	$(PY) bench/bench_status.py

# The head's rules file for 5, 250 and 1000 nodes (a /22), compiled by salt-call: rule count
# and iptables-restore time in a network namespace it makes and deletes (root), one rule per
# node and port against one ipset, in the same run.
bench-firewall: apt venv
	$(PY) bench/bench_firewall.py

# A compute node's hourly drift check, masterless on this host: the dry run's median time and
# the package tools it calls (apt offline; ARGS=--host-apt for this host's sources).
bench-dryrun: venv
	$(PY) bench/bench_dryrun.py $(ARGS)

# One local master, the head and M compute minions each in a network namespace (root), for
# M = 5, 20 and M: the master's costs as the farm grows (bench/README.md, bench_scale).
# Not part of `make bench`: it starts up to M + 1 minions and takes some 20 minutes at 40.
bench-scale: M ?= 40
bench-scale: venv
	BENCH_M=$(M) $(PY) -m pytest bench/bench_scale.py -p tests.conftest -q -s --no-header -p no:warnings

clean:
	rm -rf .local .pytest_cache .ruff_cache
