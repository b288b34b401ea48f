{#- Runbook, "Backing database": MariaDB for the OpenStack services' databases
    (made by each service's formula with service_database, macros.jinja). -#}
include:
  - mariadb.package.install
  - mariadb.config.file
  - mariadb.service.running
  - mariadb.secure
