{%- from "map.jinja" import hltcloud with context %}
include:
  - common.package

{%- for service in hltcloud.common.services.disabled %}

common-service-{{ service }}-dead:
  service.dead:
    - name: {{ service }}
    - enable: false
{%- endfor %}

{%- if hltcloud.common.services.network %}

{#- Runbook, "Disable any fancy network managers": `service NetworkManager
    stop; service network start`. Started right after NetworkManager stops,
    before this run downloads anything more or changes an ifcfg file, so the
    node is never left without a network service. The start brings up the
    ifcfg files as they are now, which describe the node's present address
    (the bridge's files come later, network.bridge, and take effect with its
    scheduled restart): the node keeps its address, the minion its connection. #}
common-service-network-running:
  service.running:
    - name: {{ hltcloud.common.services.network }}
    - enable: true
{%-   if hltcloud.common.services.disabled %}
    - require:
{%-     for service in hltcloud.common.services.disabled %}
      - service: common-service-{{ service }}-dead
{%-     endfor %}
{%-   endif %}
{%- endif %}

{%- for service in hltcloud.common.services.enabled %}

{#- Enabled for the next boot, not started here. (iptables is not one of
    these: the firewall formula enables it together with its rules.) #}
common-service-{{ service }}-enabled:
  service.enabled:
    - name: {{ service }}
    - require:
      - sls: common.package
{%- endfor %}
