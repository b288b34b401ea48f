{#- Drift: every inventory node runs its highstate in test mode on a Salt
    schedule and keeps the summary (_modules/hltcloud.py: hltcloud.drift);
    `salt-run hlt.status` shows it. The interval is the one site fact here. -#}
{%- set drift_interval = 60 * 60 %}  {#- seconds: hourly #}
schedule:
  hltcloud-drift:
    function: hltcloud.drift
    seconds: {{ drift_interval }}
    splay: 300              # spread the nodes' checks over five minutes
    maxrunning: 1
    run_on_start: false
    return_job: false       # the node keeps the result; hlt.status asks for it
