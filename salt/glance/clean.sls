{#- Take Glance apart, in reverse: the images of pillar glance:images, the
    daemons, the config files' settings, the packages. The database and the
    image directory stay (they hold data). -#}
include:
  - glance.image.clean
  - glance.service.clean
  - glance.config.clean
  - glance.package.clean
