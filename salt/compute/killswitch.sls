{#- Runbook, "Recipes: Kill Switch": take this node out of the Compute service,
    for good until it is resumed:
        salt cn44.internal state.apply compute.killswitch
    nova-compute, nova-network and the metadata API stopped and disabled, and
    the drained mark set (grain hltcloud_drained: true, compute/drained.jinja):
    from then on `compute`, the startup highstate and selfheal.heal leave those
    services stopped. Back in service:
        salt cn44.internal state.apply compute.resume
    (salt/compute.sls is the `compute` role bundle; this folder holds no
    init.sls, so `compute` and `compute.killswitch` never clash.) -#}
{%- from "compute/drained.jinja" import drained with context %}
include:
  - nova.compute.service.clean
  - nova.network.service.clean

{#- First, so no restart (self-heal, startup highstate) slips in between the
    services stopping and the mark being set. #}
compute-killswitch-drained-grain-present:
  grains.present:
    - name: {{ drained.grain | json }}
    - value: true
    - order: 1
