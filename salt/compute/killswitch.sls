{#- Runbook, "Recipes: Kill Switch": take this node out of the Compute service.
    nova-compute, nova-network and the metadata API stopped and disabled, on
    the targeted node only:
        salt cn44.internal state.apply compute.killswitch
    Back in service:
        salt cn44.internal state.apply compute
    (salt/compute.sls is the `compute` role bundle; this folder holds no
    init.sls, so `compute` and `compute.killswitch` never clash.) -#}
include:
  - nova.compute.service.clean
  - nova.network.service.clean
