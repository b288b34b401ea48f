{#- Take the RDO repository away again (the twin of openstack.repo). The
    python-oslo-config RPM stays: other packages depend on it. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- set repo = hltcloud.openstack.repo %}

{%- if repo.managed %}

openstack-repo-release-package-removed:
  pkg.removed:
    - name: {{ repo.release_pkg }}

{%- else %}

openstack-repo-not-needed:
  test.succeed_without_changes:
    - name: {{ ("No RDO repository for os_family " ~ grains.get("os_family")) | json }}
{%- endif %}
