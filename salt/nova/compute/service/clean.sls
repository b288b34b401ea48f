{#- nova-compute stopped and disabled. libvirtd and dbus stay: the node's
    other services and running guests use them. Part of the kill switch. -#}
{%- from "map.jinja" import hltcloud with context %}

nova-compute-service-dead:
  service.dead:
    - name: {{ hltcloud.nova.compute.service }}
    - enable: false
