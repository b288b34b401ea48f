{#- orch.rotate, step 3 on each node of the secret's roles: the services that
    read the files step 2 rewrote are restarted, so that they run with the new
    value (salt/rotate/plan.yaml, `restart`, per role). A service restarts even
    when its file was already right: this step finishes a rotation that
    stopped after step 2. Each group by the node's role, from salt/parameters:
      keystone   keystone:service
      glance     the service of each glance:daemons entry
      nova       head: nova:controller:services; compute: nova:compute:service,
                 nova:network:service and its metadata_service, unless the node
                 is drained (compute.killswitch): they stay stopped.
    A service set to null is run by other means: one state says so. -#}
{%- from "macros.jinja" import failed %}
{%- from "map.jinja" import hltcloud with context %}
{%- from "rotate/rotation.jinja" import rotation with context %}
{%- if rotation.errors %}

{{ failed("rotate-services-restarted", "rotation", "Nothing restarted: " ~ rotation.errors | join("; ")) }}
{%- else %}
{%-   set groups = (rotation.plan.get("restart") or {}).get(rotation.role) or [] %}
{%-   set services = [] %}
{%-   set notes = [] %}
{%-   for group in groups %}
{%-     if group == "keystone" %}
{%-       do services.append(["keystone:service", hltcloud.keystone.service]) %}
{%-     elif group == "glance" %}
{%-       for daemon, spec in hltcloud.glance.daemons | dictsort if spec %}
{%-         do services.append(["glance:daemons:" ~ daemon ~ ":service", spec.service]) %}
{%-       endfor %}
{%-     elif group == "nova" and rotation.role == "head" %}
{%-       for key, service in hltcloud.nova.controller.services.items() %}
{%-         do services.append(["nova:controller:services:" ~ key, service]) %}
{%-       endfor %}
{%-     elif group == "nova" %}
{%-       from "compute/drained.jinja" import drained with context %}
{%-       if drained.active %}
{%-         do notes.append(hltcloud.nova.compute.service ~ " and " ~ hltcloud.nova.network.service ~ " are not restarted: " ~ drained.reason) %}
{%-       else %}
{%-         do services.append(["nova:compute:service", hltcloud.nova.compute.service]) %}
{%-         do services.append(["nova:network:service", hltcloud.nova.network.service]) %}
{%-         do services.append(["nova:network:metadata_service", hltcloud.nova.network.metadata_service]) %}
{%-       endif %}
{%-     endif %}
{%-   endfor %}
{%-   if not services %}

rotate-services-restarted:
  test.succeed_without_changes:
    - name: {{ ((notes | join("; ")) or ("no service on " ~ grains.get("id") ~ " reads " ~ rotation.secret)) | json }}
{%-   endif %}
{%-   for key, service in services %}
{%-     if not service %}

rotate-{{ key | replace(":", "-") }}-restarted:
  test.succeed_without_changes:
    - name: {{ (key ~ " is null: the service is run by other means; restart it there so it reads the new " ~ rotation.secret) | json }}
{%-     else %}

rotate-{{ service }}-restart-requested:
  test.succeed_with_changes:
    - name: {{ (service ~ " reads the new " ~ rotation.secret ~ " once restarted") | json }}

rotate-{{ service }}-restarted:
  service.running:
    - name: {{ service | json }}
    - watch:
      - test: rotate-{{ service }}-restart-requested
{%-     endif %}
{%-   endfor %}
{%- endif %}
