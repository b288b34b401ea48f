{#- Issue 23: backups of the head's databases and Glance's image files. The
    backup folder (root's, parameters backup:dir_mode) and the cron job that
    runs `salt-call hltcloud.backup` on backup:cron:schedule
    (_modules/hltcloud_backup.py: one folder per run, one 0600 dump per
    database, the image files with their md5, the last backup:keep runs, a
    run that would leave less than backup:min_free_bytes free refuses). One
    now: `salt cn43.internal hltcloud.backup`. -#}
{%- from "map.jinja" import hltcloud with context %}
{%- from "macros.jinja" import failed %}
{%- set backup = hltcloud.backup %}
{%- set cron = backup.cron %}
{#- The cron line is root's: each part is one line of printable text (a newline in a
    lookup value would add a line of its own), the schedule five fields. #}
{%- set errors = [] %}
{%- for key, value in (("cron:schedule", cron.schedule), ("cron:salt_call", cron.salt_call),
                       ("cron:log", cron.log), ("user", backup.user)) %}
{%-   if value is not string or not value | regex_match("^([ -~]+)$") %}
{%-     do errors.append("parameter backup:" ~ key ~ " must be one line of printable text") %}
{%-   endif %}
{%- endfor %}
{%- if not errors and cron.schedule.split() | length != 5 %}
{%-   do errors.append("parameter backup:cron:schedule must be five cron fields, not '" ~ cron.schedule ~ "'") %}
{%- endif %}

backup-dir-managed:
  file.directory:
    - name: {{ backup.dir | json }}
    - user: {{ backup.user | json }}
    - group: {{ backup.group | json }}
    - dir_mode: {{ backup.dir_mode | string | json }}
    - makedirs: true

{%- if errors %}

{{ failed("backup-cron-file-managed", cron.file, errors | join("; ")) }}
{%- else %}

backup-cron-file-managed:
  file.managed:
    - name: {{ cron.file | json }}
    - user: {{ backup.user | json }}
    - group: {{ backup.group | json }}
    - mode: {{ cron.mode | string | json }}
    - contents: {{ ("# Managed by Salt (hlt-cloud, backup): the head's databases and images.\n"
                    ~ cron.schedule ~ " " ~ backup.user ~ " " ~ cron.salt_call ~ " hltcloud.backup >> "
                    ~ cron.log ~ " 2>&1\n") | json }}
    - require:
      - file: backup-dir-managed
{%- endif %}
