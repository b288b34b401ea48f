{#- The images of pillar glance:images deleted from Glance (by name), while
    its daemons still run, and their cached files removed. -#}
{%- from "glance/images.jinja" import glance_images with context %}

{%- for key, image in glance_images.images | dictsort %}

glance-image-{{ key }}-absent:
  glance_image.absent:
    - name: {{ image.name | json }}
    - auth: {{ glance_images.auth | json }}

glance-image-{{ key }}-cache-absent:
  file.absent:
    - name: {{ image.cached | json }}
    - require:
      - glance_image: glance-image-{{ key }}-absent
{%- endfor %}
