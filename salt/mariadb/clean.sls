{#- Take MariaDB apart, in reverse: service, root's client file, drop-in,
    packages. The databases stay in the datadir. -#}
include:
  - mariadb.service.clean
  - mariadb.secure.clean
  - mariadb.config.clean
  - mariadb.package.clean
