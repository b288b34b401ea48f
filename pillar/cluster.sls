{#- Non-secret cluster data for every node of the inventory. -#}
{%- from "lib/cluster.jinja" import cluster with context %}
{%- import_yaml "flat_network.yaml" as flat_network %}
cluster: {{ cluster | json }}

flat_network: {{ salt["slsutil.merge"]({"bridge": cluster.interfaces.bridge}, flat_network) | json }}
