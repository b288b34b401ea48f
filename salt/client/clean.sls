{#- Take the clients apart: profiles and script, packages. -#}
include:
  - client.config.clean
  - client.package.clean
