{#- The network restart after the ifcfg files changed (onchanges: never
    otherwise), scheduled instead of run inside the state run. The runbook
    says "not from an SSH terminal": a restart takes the node's address away
    for a moment, and doing it in the middle of the run would cut the minion
    off from the master before it returns its result.

    How: the last state of the run (order: last) starts
        setsid sh -c 'sleep <delay>; <restart cmd>' >> <log> 2>&1
    in the background (bg: true) and returns at once. setsid puts the command
    in a session of its own, so it outlives the salt job process; under
    systemd the salt-minion unit's KillMode=process keeps it alive even across
    a minion restart. The minion has sent its result long before the delay
    (60 s) is over, then reconnects by itself once br100 has its DHCP lease.
    Not `at` (atd is not installed or running on a minimal node) and not
    `systemd-run --on-active` (Fedora 19's systemd 204 predates it): this
    needs nothing but sh and setsid (util-linux), on Fedora 19, CentOS 7 and
    Debian alike. Output goes to the log file given in
    network:bridge:restart:log. -#}
{%- from "network/bridge/ifcfg.jinja" import ifcfg with context %}
include:
  - network.bridge.file

{%- if ifcfg.applicable and ifcfg.restart.cmd %}
{%-   set script = "sleep " ~ ifcfg.restart.delay ~ "; " ~ ifcfg.restart.cmd %}

network-bridge-restart-scheduled:
  cmd.run:
    - name: {{ ("setsid sh -c " ~ script | quote ~ " >>" ~ ifcfg.restart.log | quote ~ " 2>&1") | json }}
    - bg: true
    - order: last
    - onchanges:
      - sls: network.bridge.file
{%- endif %}
