{%- from "lib/secrets.jinja" import role_secrets with context %}
{{ role_secrets("head") }}
