"""
The package tools Salt runs, counted: a wrapper per tool first on PATH logs its arguments and
runs the real tool. APT_CONFIG gives the real apt an empty source list and lists/cache dirs
under the caller's directory, so a repository refresh (`apt-get update`) stays on this host.
"""

import json
import os
import shutil

TOOLS = ("dpkg-query", "apt-get", "apt-cache", "rpm", "yum")


def counting_env(directory):
    """(environment for a salt-call, its log file): the tools under ``directory`` wrapped."""
    wrappers, log, apt = directory / "bin", directory / "calls.log", directory / "apt"
    wrappers.mkdir()
    path = os.environ["PATH"]
    for tool in TOOLS:
        real = shutil.which(tool, path=path)
        if real is None:
            continue
        script = wrappers / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {log}\nexec {real} "$@"\n')
        script.chmod(0o755)
    for sub in ("sources.list.d", "lists/partial", "cache/archives/partial"):
        (apt / sub).mkdir(parents=True)
    (apt / "apt.conf").write_text(
        'Dir::Etc::sourcelist "/dev/null";\n'
        f'Dir::Etc::sourceparts "{apt / "sources.list.d"}";\n'
        f'Dir::State::lists "{apt / "lists"}";\n'
        f'Dir::Cache "{apt / "cache"}";\n'
    )
    env = {**os.environ, "PATH": f"{wrappers}:{path}", "APT_CONFIG": str(apt / "apt.conf")}
    return env, log


def calls(log):
    """
    The logged calls by kind: ``installed`` (dpkg-query, rpm: the installed packages),
    ``refresh`` (apt-get update), ``candidates`` (apt-cache policy: versions on offer).
    """
    lines = log.read_text().splitlines() if log.exists() else []
    return {
        "installed": [c for c in lines if c.startswith(("dpkg-query", "rpm"))],
        "refresh": [c for c in lines if c.startswith("apt-get") and " update" in c],
        "candidates": [c for c in lines if c.startswith("apt-cache") and " policy" in c],
    }


# Debian packages this host has, standing in for each compute formula's package list.
CONVERGED = {
    "firewall": {"pkgs": ["iptables", "ipset"]},
    "nova": {"compute": {"pkgs": ["bash"]}, "network": {"pkgs": ["iproute2"]}},
}


def converged_pillar():
    """
    The salt-call argument that makes a compute node look converged here: every package of
    its formulas already in (pillar ``hltcloud:lookup``, which map.jinja merges last).
    """
    return "pillar=" + json.dumps({"hltcloud": {"lookup": CONVERGED}})
