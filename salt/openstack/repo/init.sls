{#- Runbook, "OpenStack packages" and "The Compute service": the RDO Icehouse
    repository with the highest yum priority, and the python-oslo-config hack
    (Fedora 19); on CentOS 7 also EPEL and openstack-selinux (parameters/osmap.yaml).
    Shared by the head and the compute nodes; RedHat only (parameters
    openstack:repo). Elsewhere one state says it is not needed. -#}
{%- from "macros.jinja" import failed %}
{%- from "map.jinja" import hltcloud with context %}
{%- set repo = hltcloud.openstack.repo %}

{%- if repo.managed and not repo.settings.baseurl %}

{#- A RedHat os/release without an entry in parameters/osmap.yaml. #}
{%-   set comment = "No RDO Icehouse baseurl for " ~ grains.get("os") ~ " "
        ~ grains.get("osmajorrelease") ~ " (parameters/osmap.yaml has Fedora 19 and CentOS 7):"
        ~ " set hltcloud:lookup:openstack:repo:settings:baseurl" %}
{{ failed("openstack-repo-file-configured", repo.file, comment) }}

{%- elif repo.managed %}

openstack-repo-priorities-plugin-installed:
  pkg.installed:
    - pkgs: {{ repo.pkgs | json }}

openstack-repo-release-package-installed:
  pkg.installed:
    - sources:
      - {{ repo.release_pkg }}: {{ repo.release_rpm | json }}
    - require:
      - pkg: openstack-repo-priorities-plugin-installed

{#- The runbook's hand edit of the repo file: baseurl and priority. #}
openstack-repo-file-configured:
  openstack_ini.present:
    - name: {{ repo.file | json }}
    - sections: {{ {repo.section: repo.settings} | json }}
    - require:
      - pkg: openstack-repo-release-package-installed
{%-   if repo.policy_pkgs %}

{#- CentOS 7: RDO's SELinux policy, before any OpenStack package (they require this sls). #}
openstack-repo-selinux-policy-installed:
  pkg.installed:
    - pkgs: {{ repo.policy_pkgs | json }}
    - require:
      - openstack_ini: openstack-repo-file-configured
{%-   endif %}
{%-   if repo.rpms %}

{#- The python-oslo-config hack: Fedora 20 RPMs that Fedora 19 lacks. #}
openstack-repo-extra-rpms-installed:
  pkg.installed:
    - sources: {{ repo.rpms | json }}
    - require:
      - openstack_ini: openstack-repo-file-configured
{%-   endif %}

{%- else %}

{%-   set reason = "No RDO repository for os_family " ~ grains.get("os_family")
        ~ ": its own OpenStack packages are used (openstack:repo:managed is false)" %}
openstack-repo-not-needed:
  test.succeed_without_changes:
    - name: {{ reason | json }}
{%- endif %}
