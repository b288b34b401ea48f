"""
The HLT cloud's data checked, its drift and its status report.

The schema itself (the inventory, ``etc/salt/cluster.conf``, in the Salt configuration as
``hltcloud_inventory``, and the pillar) is ``_utils/hltcloud_schema.py``; the secrets'
format ``_utils/hltcloud_secrets.py``; the inventory → minion-id rule
``_utils/hltcloud_ids.py``. This module gives them their public names and reads what they
need (salt://parameters/defaults.yaml for the firewall's port table, pillar/secrets.yaml).

The data is checked twice, with the same code: on the master while it compiles a minion's
pillar (the ``hltcloud_validate`` ext_pillar, ``_pillar/``: a problem becomes a pillar
``_errors`` line, and Salt then refuses every state run of that minion with just that line),
and as the first state of every highstate (``salt/validate.sls``, ``failhard``). Each
problem is one line that names the key and says what is wrong; a secret's value is never
shown.

CLI Example:

.. code-block:: bash

    salt cn44.internal hltcloud.validate
"""

import copy
import json
import logging
import os
import re

import salt.utils.data
import salt.utils.dictupdate
import salt.utils.yaml
from salt.exceptions import CommandExecutionError

__virtualname__ = "hltcloud"
log = logging.getLogger(__name__)


def __virtual__():
    return __virtualname__


def _schema(name):
    return __utils__[f"hltcloud_schema.{name}"]


# -- the schema's public names (_utils/hltcloud_schema.py) ----------------------------------------


def validate_inventory(inventory):
    """
    Problems of the inventory (``hltcloud_inventory``): a list of one-line strings, empty
    when it is sound.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud.validate_inventory "$(salt-call --out=json config.get \\
            hltcloud_inventory)"
    """
    return _schema("validate_inventory")(inventory)


def node_name(inventory, minion_id):
    """
    The inventory node whose minion ``minion_id`` is: ``cnXX`` for the id ``cnXX.<domain>``,
    exactly, else None (``_utils/hltcloud_ids.py``). What pillar/top.sls gives a minion its
    pillar by, and the ext_pillar drops an outsider's by.

    CLI Example:

    .. code-block:: bash

        salt-run salt.cmd hltcloud.node_name "$(salt-call --out=json config.get \\
            hltcloud_inventory)" cn44.internal
    """
    return __utils__["hltcloud_ids.node_name"](inventory, minion_id)


def node_id(name, domain):
    """
    The minion id of inventory node ``name`` in ``domain`` (``_utils/hltcloud_ids.py``), as
    pillar/lib/cluster.jinja names the nodes.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud.node_id cn44 internal
    """
    return __utils__["hltcloud_ids.node_id"](name, domain)


def secrets_file(path):
    """
    Read and check the secrets file at ``path`` (``_utils/hltcloud_secrets.py``): what
    pillar/lib/secrets.jinja gives the pillar. Returns ``{"secrets": {...}, "error": None}``
    or ``{"secrets": {}, "error": "<file>, line N: ..."}``; never raises, and an error never
    shows a value. It answers only where the pillar is rendered, on the master or a
    masterless ``salt-call --local``: a minion's answer to ``salt <id> hltcloud.secrets_file``
    would put every secret in the master's job cache, so there it answers an error instead.

    CLI Example:

    .. code-block:: bash

        salt-call --local hltcloud.secrets_file pillar/secrets.yaml --out=quiet
    """
    if __opts__.get("__role") != "master" and __opts__.get("file_client") != "local":
        return {
            "secrets": {},
            "error": "hltcloud.secrets_file reads secrets for the pillar only (on the master "
            "or with salt-call --local): a job's return would carry them",
        }
    return __utils__["hltcloud_secrets.read"](path)


def validate_node(inventory, minion_id, grains):
    """
    Problems of one inventory node as its minion sees itself (grain ``ipv4`` against the
    inventory's ``ip``).

    CLI Example:

    .. code-block:: bash

        salt cn45.internal hltcloud.validate
    """
    return _schema("validate_node")(inventory, minion_id, grains)


def validate_pillar(pillar, firewall_nodes=None):
    """
    Problems of the HLT keys of a compiled pillar: a list of one-line strings.
    ``firewall_nodes``: the ports pillar ``firewall:sources`` may name
    (:func:`firewall_nodes_ports`); None: not checked.

    CLI Example:

    .. code-block:: bash

        salt cn43.internal hltcloud.validate_pillar "$(salt cn43.internal --out=json pillar.items)"
    """
    return _schema("validate_pillar")(pillar, firewall_nodes)


def check(inventory, pillar, minion_id=None, grains=None):
    """
    Every problem of the inventory, of ``minion_id``'s entry and of its pillar: the list
    the ext_pillar and the validate state report.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud.check "{}" "{}"
    """
    return _schema("check")(inventory, pillar, minion_id, grains, _firewall_nodes_ports_of(pillar))


def firewall_table(firewall, parameters=None):
    """
    The node's port table: the runbook's rows (``runbook_ports``), each replaced by the
    ``cloud_ports`` row with the same port, then the cloud rows. ``firewall`` is the map's
    firewall data (salt/parameters, then pillar ``hltcloud:lookup:firewall``); a cloud row's
    ``port_of`` names the port's key in ``parameters``, the whole map.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud.firewall_table "$(salt-call --out=json slsutil.renderer \\
            string='{% from "map.jinja" import hltcloud %}{{ hltcloud.firewall | json }}')"
    """
    return _schema("firewall_table")(firewall, parameters)


def firewall_nodes_ports(firewall, parameters=None):
    """
    The ports of :func:`firewall_table` open to the inventory's nodes only, as strings in
    table order: the ports pillar ``firewall:sources`` may name. The one rule
    salt/firewall/rules.jinja and the schema follow.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud.firewall_nodes_ports "$(salt-call --out=json slsutil.renderer \\
            string='{% from "map.jinja" import hltcloud %}{{ hltcloud.firewall | json }}')"
    """
    return _schema("firewall_nodes_ports")(firewall, parameters)


PARAMETER_FILES = ("defaults", "osfamilymap", "osmap")
SALTENV = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _kept_copy(url, saltenv):
    """
    The data of the copy of ``url`` (salt://...) this minion's file client keeps from its
    last fetch: ``<cachedir>/files/<saltenv>/<path>``, where Salt's ``cp.cache_file`` (and
    ``cp.get_file_str``) put it (``salt.fileclient.Client.is_cached``). Read without asking
    the master. None when there is none, or when it cannot be read or parsed (logged): the
    caller fetches it then.
    """
    if not SALTENV.fullmatch(saltenv):
        raise CommandExecutionError(f"hltcloud.parameters: {saltenv!r} is not a saltenv")
    path = os.path.join(__opts__["cachedir"], "files", saltenv, url.removeprefix("salt://"))
    try:
        with open(path, encoding="utf-8") as handle:
            return salt.utils.yaml.safe_load(handle.read()) or {}
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, salt.utils.yaml.YAMLError) as exc:
        log.warning("hltcloud.parameters: the kept %s is unusable (%s): fetching it", path, exc)
        return None


def parameters(saltenv="base", fetch=True):
    """
    salt/map.jinja's data for this node: salt://parameters/defaults.yaml, then the os_family's
    entry of osfamilymap.yaml, then osmap.yaml's entry for grain ``os`` and, within it,
    ``osmajorrelease`` (the integer or its string), then pillar ``hltcloud:lookup``, each
    merged over the last (``slsutil.merge``, recurse).

    Read and merged once per run and handed out as a copy: a highstate imports map.jinja in
    nearly every SLS, and three YAML parses and merges in each cost 0.6 s of a compute dry run
    on Salt 3006.8 (bench/README.md, bench_dryrun). Kept in ``__context__`` under the saltenv,
    the grains it reads and pillar ``hltcloud:lookup``: a later call in the same process with
    another lookup (``state.sls pillar=...``) or grains merges again. The files are read as
    plain YAML, not rendered as Jinja as ``import_yaml`` did (test_hltcloud_parameters.py
    keeps them free of it).

    ``fetch=False``: the copies this node kept from its last fetch (any state run that
    imports map.jinja leaves them in its file cache, ``test=True`` ones included: the hourly
    drift check keeps them fresh), without asking the master; a file not kept, or one that
    cannot be read or parsed, is fetched. The self-heal reads the service name so, in a few
    milliseconds, while in a switch flap every node asks at once (rendering map.jinja with
    its three file requests took 0.3 s of a heal job here, bench/README.md).

    CLI Example:

    .. code-block:: bash

        salt cn44.internal hltcloud.parameters
        salt cn44.internal hltcloud.parameters fetch=False
    """
    # __pillar__, not pillar.get: Salt 3008's pillar.get answers every value as "**********"
    # outside a template (salt.utils.secret), e.g. when selfheal.heal calls this
    lookup = salt.utils.data.traverse_dict_and_list(__pillar__, "hltcloud:lookup", {}) or {}
    platform = [__grains__.get(grain) for grain in ("os_family", "os", "osmajorrelease")]
    key = "hltcloud.parameters:" + json.dumps(
        [saltenv, platform, lookup], sort_keys=True, default=str
    )
    if not fetch and key not in __context__:
        key += ":kept"  # nothing fetched in this process yet: the kept copies, apart
    if key not in __context__:
        files = {}
        for name in PARAMETER_FILES:
            url = f"salt://parameters/{name}.yaml"
            files[name] = None if fetch else _kept_copy(url, saltenv)
            if files[name] is not None:
                continue
            text = __salt__["cp.get_file_str"](url, saltenv=saltenv)
            if text is False or text is None:
                raise CommandExecutionError(f"cannot read {url} (saltenv {saltenv})")
            files[name] = salt.utils.yaml.safe_load(text) or {}
        osfamily = __salt__["grains.filter_by"](files["osfamilymap"], grain="os_family") or {}
        releases = files["osmap"].get(__grains__.get("os"), {})
        major = __grains__.get("osmajorrelease")
        release = releases.get(major) or releases.get(str(major)) or {}
        merged = files["defaults"]
        for layer in (osfamily, release, lookup):
            merged = __salt__["slsutil.merge"](merged, layer, strategy="recurse")
        __context__[key] = merged
    return copy.deepcopy(__context__[key])


def _firewall_nodes_ports(lookup):
    """
    :func:`firewall_nodes_ports` of salt://parameters/defaults.yaml with pillar
    ``hltcloud:lookup`` over it (the os_family files touch neither the port table nor the
    ports its rows name); None where the file cannot be read (outside a Salt loader, e.g.
    the unit tests).
    """
    salt_funcs = globals().get("__salt__")
    if salt_funcs is None or "cp.get_file_str" not in salt_funcs:
        return None
    text = salt_funcs["cp.get_file_str"]("salt://parameters/defaults.yaml")
    if not text:
        return None
    try:
        parameters = salt.utils.yaml.safe_load(text) or {}
    except salt.utils.yaml.YAMLError:
        return None
    if not isinstance(parameters, dict):
        return None
    if isinstance(lookup, dict):
        parameters = salt.utils.dictupdate.update(copy.deepcopy(parameters), lookup)
    return firewall_nodes_ports(parameters.get("firewall") or {}, parameters)


def _firewall_nodes_ports_of(pillar):
    if not isinstance(pillar, dict) or pillar.get("firewall") is None:
        return None  # nothing to check against it: spare the file read
    hltcloud = pillar.get("hltcloud")
    lookup = hltcloud.get("lookup") if isinstance(hltcloud, dict) else None
    return _firewall_nodes_ports(lookup if isinstance(lookup, dict) else None)


def validate():
    """
    Check this minion's inventory, grains and pillar; return ``{"valid": bool, "errors": [...]}``.

    CLI Example:

    .. code-block:: bash

        salt cn44.internal hltcloud.validate
    """
    errors = check(
        __opts__.get("hltcloud_inventory"),
        {k: v for k, v in __pillar__.items() if k != "_errors"},
        __opts__.get("id"),
        __grains__,
    )
    return {"valid": not errors, "errors": errors}


# -- status and drift -----------------------------------------------------------------------------

DRIFT_FILE = ("hltcloud", "drift.json")


def _drift_path():
    import os  # pylint: disable=import-outside-toplevel

    return os.path.join(__opts__["cachedir"], *DRIFT_FILE)


def _reason(result):
    """One line saying why a state would change or failed."""
    comment = " ".join(str(result.get("comment") or "").split())
    if not comment and result.get("changes"):
        comment = "would change " + ", ".join(sorted(map(str, result["changes"])))
    return comment[:200] or "would change"


def summarize(results):
    """
    Reduce a highstate's state results to ``{"in_sync", "drift", "failed"}``: the state IDs
    that would change (result None, or changes in test mode) and those that failed, each
    with a one-line reason. A list (render or pillar errors) is all failure.

    CLI Example:

    .. code-block:: bash

        salt-call hltcloud.summarize "$(salt-call --out=json state.highstate test=True)"
    """
    if not isinstance(results, dict):
        lines = results if isinstance(results, list) else [results]
        return {
            "in_sync": False,
            "drift": {},
            "failed": {"highstate": " ".join(map(str, lines))[:200]},
        }
    drift, failed = {}, {}
    for result in results.values():
        if not isinstance(result, dict):
            continue
        sid = result.get("__id__") or result.get("name")
        if result.get("result") is False:
            failed[sid] = _reason(result)
        elif result.get("result") is None or result.get("changes"):
            drift[sid] = _reason(result)
    return {"in_sync": not drift and not failed, "drift": drift, "failed": failed}


def drift():
    """
    Run the highstate in test mode, keep its summary on the node and return it: what the
    Salt schedule ``hltcloud-drift`` (pillar ``schedule``) runs every hour by default.

    CLI Example:

    .. code-block:: bash

        salt cn44.internal hltcloud.drift
    """
    import json  # pylint: disable=import-outside-toplevel
    import os  # pylint: disable=import-outside-toplevel
    import time  # pylint: disable=import-outside-toplevel

    results = __salt__["state.highstate"](test=True)
    if isinstance(results, list) and any("is running as PID" in str(r) for r in results):
        # Another state run holds the node: keep the last record, check again next time.
        return {"skipped": " ".join(map(str, results))[:200]}
    record = summarize(results)
    record["checked"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    path = _drift_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as stream:
        json.dump(record, stream)
    os.replace(tmp, path)
    return record


def report():
    """
    What ``salt-run hlt.status`` asks every node: its kill-switch mark, its last drift
    check (None before the first) and its last highstate (``_utils/highstate_record.py``,
    None before the first).

    CLI Example:

    .. code-block:: bash

        salt cn44.internal hltcloud.report
    """
    import json  # pylint: disable=import-outside-toplevel

    try:
        with open(_drift_path(), encoding="utf-8") as stream:
            last = json.load(stream)
    except (OSError, ValueError):
        last = None
    return {
        "role": __grains__.get("role"),
        "drained": __utils__["drained.current"](__opts__, __grains__)["drained"],
        "drift": last,
        "highstate": __utils__["highstate_record.read"](__opts__),
    }


def backup():
    """
    Take a backup of the head's databases and Glance's images now (``hltcloud_backup.run``,
    what the state ``backup`` schedules).

    CLI Example:

    .. code-block:: bash

        salt cn43.internal hltcloud.backup
    """
    return __salt__["hltcloud_backup.run"]()
