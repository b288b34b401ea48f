{#- Non-secret cluster data for every node of the inventory. -#}
{%- from "lib/cluster.jinja" import cluster with context %}
{%- import_yaml "flat_network.yaml" as flat_network %}
cluster: {{ cluster | json }}

{#- The flat network's bridge is the inventory's interfaces:bridge (cluster:interfaces),
    one key that nova.conf, ifcfg-br100, the network and self-heal all read. #}
flat_network: {{ flat_network | json }}
