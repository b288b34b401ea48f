{#- Runbook, "Getting started": iptables (and ip6tables, parameters
    firewall:ipv6) enabled at boot and started, only
    once its rules file is in place and loaded (firewall.config.file): it
    never starts with the distribution's stock rules, which would shut
    Salt's and OpenStack's ports. No watch: a changed file is loaded
    atomically by firewall.config.file, never by a service restart (a
    restart flushes the rules first).

    Loading the file (iptables-restore here and when the service starts)
    replaces the whole filter table, with the chains nova-network,
    nova-api-metadata and nova-compute add to it: on a compute node those
    services are restarted after either, where they run, so that they put
    their chains back. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "firewall/rules.jinja" import firewall_rules with context %}
{%- set fw = hltcloud.firewall %}
include:
  - firewall.config.file

{#- Each service requires its own family's states only, so that a failing
    ip6tables-restore leaves iptables (and nova's chains) alone. With bad data
    firewall-config-file-managed is the one failing state: both services
    require it and fail with it. #}
firewall-service-running:
  service.running:
    - name: {{ fw.service | json }}
    - enable: true
    - require:
      - id: firewall-config-file-managed
{%- if not firewall_rules.errors %}
      - id: firewall-config-rules-loaded
{%-   if firewall_rules.node_set and fw.ipset.boot_dropin %}
      - id: firewall-config-ipset-boot-dropin-managed    # or the next boot loads no rules
{%-   endif %}
{%- endif %}
{%- if fw.ipv6.service and fw.ipv6.rules_file %}

firewall-service-ipv6-running:
  service.running:
    - name: {{ fw.ipv6.service | json }}
    - enable: true
    - require:
{%-   if firewall_rules.errors %}
      - id: firewall-config-file-managed
{%-   else %}
      - id: firewall-config-ipv6-file-managed
      - id: firewall-config-ipv6-rules-loaded
{%-   endif %}
{%- endif %}
{%- if grains.get("role") == "compute" %}
{%-   for service in [hltcloud.nova.network.service, hltcloud.nova.network.metadata_service, hltcloud.nova.compute.service] | unique %}

{#- Restarted only where it runs (guarded.restarted_if_running: no onlyif,
    which makes Salt load every state module). #}
firewall-service-{{ service }}-chains-restored:
  guarded.restarted_if_running:
    - name: {{ service | json }}
    - onchanges:
      - id: firewall-config-file-managed        # reloaded by firewall-config-rules-loaded
      - service: firewall-service-running
    - require:
      - service: firewall-service-running
{%-   endfor %}
{%- endif %}
