{#- Take the backups' schedule away: the cron job goes; the backup folder and
    the runs in it stay (they are what a restore needs). -#}
{%- from "map.jinja" import hltcloud with context %}

backup-cron-file-absent:
  file.absent:
    - name: {{ hltcloud.backup.cron.file | json }}
