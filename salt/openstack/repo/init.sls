{#- Runbook, "OpenStack packages" and "The Compute service": the RDO Icehouse
    repository with the highest yum priority, and the python-oslo-config hack
    (Fedora 19); on CentOS 7 also EPEL and openstack-selinux (parameters/osmap.yaml).
    Shared by the head and the compute nodes; RedHat only (parameters
    openstack:repo). Elsewhere one state says it is not needed.
    The RPMs fetched by URL (the release RPM, the extra rpms) come over plain
    http/ftp: each is downloaded into parameters openstack:repo:cache_dir (the
    file download_cache.locate names), checked against its pinned sha256
    (file.managed source_hash) and installed from that checked file. A sha256
    has no default: without it (or with a source that has no plain file name)
    the download state fails with one line naming the key, and the install
    state after it does too. A package already installed is neither downloaded
    nor checked again (a node built before the pins, or whose upstream URL is
    gone, keeps working). -#}
{%- from "macros.jinja" import failed %}
{%- from "map.jinja" import hltcloud with context %}
{%- set repo = hltcloud.openstack.repo %}

{#- [{id, install_id, pkg, source, sha256, key, source_key, path, problem}] #}
{%- set downloads = [] %}
{%- if repo.managed %}
{%- do downloads.append({
      "id": "openstack-repo-release-rpm-downloaded",
      "install_id": "openstack-repo-release-package-installed",
      "pkg": repo.release_pkg, "source": repo.release_rpm, "sha256": repo.release_rpm_sha256,
      "source_key": "openstack:repo:release_rpm", "key": "openstack:repo:release_rpm_sha256",
    }) %}
{%- for pkg, rpm in (repo.rpms or {}) | dictsort %}
{%-   do downloads.append({
        "id": "openstack-repo-rpm-" ~ pkg ~ "-downloaded",
        "install_id": "openstack-repo-extra-rpms-installed",
        "pkg": pkg, "source": rpm.source, "sha256": rpm.sha256,
        "source_key": "openstack:repo:rpms:" ~ pkg ~ ":source",
        "key": "openstack:repo:rpms:" ~ pkg ~ ":sha256",
      }) %}
{%- endfor %}
{%- for rpm in downloads %}
{%-   set cache = salt["download_cache.locate"](rpm.source, repo.cache_dir) %}
{%-   set sha256 = (rpm.sha256 or "") | string | lower %}
{%-   if cache.problem %}
{%-     set problem = "parameter " ~ rpm.source_key ~ ": " ~ cache.problem %}
{%-   elif not rpm.sha256 %}
{%-     set problem = "parameter " ~ rpm.key ~ " is not set: the sha256 of " ~ rpm.source
          ~ " has no default; set hltcloud:lookup:" ~ rpm.key ~ " to that of a copy you checked"
          ~ " (docs/deploy.md, Pinned downloads)" %}
{%-   elif not sha256 | regex_match("^([0-9a-f]{64})$") %}
{%-     set problem = "parameter " ~ rpm.key ~ " is not a sha256 (64 hex digits)" %}
{%-   else %}
{%-     set problem = none %}
{%-   endif %}
{%-   set installed = salt["pkg.version"](rpm.pkg) if "pkg.version" in salt else "" %}
{%-   if installed %}
{%-     set problem = none %}
{%-   endif %}
{%-   do rpm.update({"path": cache.path, "sha256": sha256, "problem": problem,
                     "installed": installed}) %}
{%- endfor %}
{%- endif %}

{%- macro downloaded(rpm) %}
{%-   if rpm.installed %}

{{ rpm.id }}:
  hltcloud.ready:
    - name: {{ rpm.source | json }}
    - comment: {{ (rpm.pkg ~ " " ~ rpm.installed ~ " is installed: not downloaded again") | json }}
{%-   elif rpm.problem %}
{{ failed(rpm.id, rpm.source, rpm.problem) }}
{%-   else %}

{{ rpm.id }}:
  file.managed:
    - name: {{ rpm.path | json }}
    - source: {{ rpm.source | json }}
    - source_hash: {{ ("sha256=" ~ rpm.sha256) | json }}
    - makedirs: true
    - mode: "0644"
{%-   endif %}
{%- endmacro %}

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

{%-   set release, extra = downloads[0], downloads[1:] %}
{{- downloaded(release) }}
{%-   if release.installed or release.path %}

openstack-repo-release-package-installed:
  pkg.installed:
{%-     if release.installed %}
    - name: {{ release.pkg | json }}
{%-     else %}
    - sources:
      - {{ release.pkg }}: {{ release.path | json }}
{%-     endif %}
    - require:
      - pkg: openstack-repo-priorities-plugin-installed
      - id: {{ release.id }}
{%-   else %}
{{ failed(release.install_id, release.pkg, release.problem) }}
{%-   endif %}

{#- The runbook's hand edit of the repo file: baseurl and priority. #}
openstack-repo-file-configured:
  openstack_ini.present:
    - name: {{ repo.file | json }}
    - sections: {{ {repo.section: repo.settings} | json }}
    - require:
      - id: openstack-repo-release-package-installed
{%-   if repo.policy_pkgs %}

{#- CentOS 7: RDO's SELinux policy, before any OpenStack package (they require this sls). #}
openstack-repo-selinux-policy-installed:
  pkg.installed:
    - pkgs: {{ repo.policy_pkgs | json }}
    - require:
      - openstack_ini: openstack-repo-file-configured
{%-   endif %}
{%-   if extra %}

{#- The python-oslo-config hack: Fedora 20 RPMs that Fedora 19 lacks. #}
{%-     for rpm in extra %}
{{- downloaded(rpm) }}
{%-     endfor %}
{%-     set missing = extra | rejectattr("installed") | list %}
{%-     set unplaced = missing | selectattr("path", "none") | map(attribute="problem") | list %}
{%-     if unplaced %}
{{ failed("openstack-repo-extra-rpms-installed", "extra RPMs", unplaced | join("; ")) }}
{%-     elif not missing %}

openstack-repo-extra-rpms-installed:
  hltcloud.ready:
    - name: extra RPMs
    - comment: {{ ("installed: " ~ extra | map(attribute="pkg") | join(", ")) | json }}
    - require:
      - openstack_ini: openstack-repo-file-configured
{%-     else %}

openstack-repo-extra-rpms-installed:
  pkg.installed:
    - sources:
{%-       for rpm in missing %}
      - {{ rpm.pkg }}: {{ rpm.path | json }}
{%-       endfor %}
    - require:
      - openstack_ini: openstack-repo-file-configured
{%-       for rpm in extra %}
      - id: {{ rpm.id }}
{%-       endfor %}
{%-     endif %}
{%-   endif %}

{%- else %}

{%-   set reason = "No RDO repository for os_family " ~ grains.get("os_family")
        ~ ": its own OpenStack packages are used (openstack:repo:managed is false)" %}
openstack-repo-not-needed:
  test.succeed_without_changes:
    - name: {{ reason | json }}
{%- endif %}
