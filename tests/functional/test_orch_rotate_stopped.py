"""
A rotation that stops midway says where: ``salt-run state.orchestrate orch.rotate`` run for real
on a master configuration (no daemons): with no minion connected, no step reaches the head, the
first step fails, and the last state (``hltcloud.stopped``, onfail on every step) names it, what
is done and not, and the commands to finish or roll back. The same state after a chain whose
second step fails, in a state run of this minion (Salt's own require/onfail), names step 2.
"""

import json
import subprocess
import sys

import pytest
import yaml

from tests.functional.test_orch_render import config_dir  # noqa: F401 (fixture)

CHAIN_SLS = """\
{%- set steps = ["step-one", "step-two", "step-three"] %}
step-one:
  test.succeed_without_changes: []
step-two:
  test.fail_without_changes:
    - comment: the config file could not be written
    - require:
      - test: step-one
step-three:
  test.succeed_without_changes:
    - require:
      - test: step-two
rotation-stopped:
  hltcloud.stopped:
    - name: the rotation of nova_pass
    - steps: {{ steps | json }}
    - done: ["the Keystone user nova", "nova.conf on the compute nodes", "the check"]
    - finish: run it again
    - rollback: put the old value back
    - onfail:
      - test: step-one
      - test: step-two
      - test: step-three
"""


def test_a_step_that_fails_is_named_with_what_is_done_and_how_to_finish(loaders, tmp_path):
    root = tmp_path / "states"
    root.mkdir()
    (root / "chain.sls").write_text(CHAIN_SLS)
    loaders.opts["file_roots"]["base"].append(str(root))
    results = {r.id: r for r in loaders.modules.state.sls("chain")}
    stopped = results["rotation-stopped"]
    assert stopped.result is False
    assert stopped.comment == (
        "the rotation of nova_pass stopped at step 2 of 3, nova.conf on the compute nodes: "
        "the config file could not be written. Done: the Keystone user nova. "
        "Not done: nova.conf on the compute nodes; the check. "
        "To finish: run it again. To roll back: put the old value back."
    )


def test_orchestration_without_the_head_stops_at_step_one_and_says_so(config_dir):
    conf, config = config_dir
    config = {**config, "hltcloud_inventory": config["hltcloud_inventory"]}
    # no master runs: a step's job is refused at once instead of waiting for minions
    (conf / "master").write_text(yaml.safe_dump(config))
    pillar = {"rotate": {"secret": "glance_pass"}}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import salt.scripts; salt.scripts.salt_run()",
            "-c",
            str(conf),
            "state.orchestrate",
            "orch.rotate",
            f"pillar={json.dumps(pillar)}",
            "--out=json",
            "--log-level=quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    data = json.loads(proc.stdout[proc.stdout.index("{") :])
    (states,) = data["data"].values()
    by_id = {s["__id__"]: s for s in states.values()}
    stopped = by_id["rotate-glance_pass-stopped"]
    assert stopped["result"] is False
    assert stopped["comment"].startswith(
        "the rotation of glance_pass stopped at step 1 of 4, "
        "the Keystone user glance on cn43.internal: "
    )
    assert "Done: nothing." in stopped["comment"]
    assert "Traceback" not in stopped["comment"]
    assert 'orch.rotate pillar=\'{"rotate": {"secret": "glance_pass"}}\'' in stopped["comment"]
    assert "pillar/secrets.yaml.previous" in stopped["comment"]
    assert by_id["rotate-glance_pass-verified"]["result"] is False
    assert proc.returncode != 0


pytestmark = pytest.mark.slow
