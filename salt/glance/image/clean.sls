{#- The images of pillar glance:images deleted from Glance (by name), while
    its daemons still run, and their cached files removed: exactly the file
    glance_image.present downloaded (download_cache.locate, in images.jinja),
    never the cache directory. With bad data (glance_images.errors: a source
    without a plain file name, a missing secret) one failing state per image
    says why and nothing is deleted. -#}
{%- from "macros.jinja" import failed %}
{%- from "glance/images.jinja" import glance_images with context %}

{%- for key, image in glance_images.images | dictsort %}
{%-   if glance_images.errors %}

{{ failed("glance-image-" ~ key ~ "-absent", image.name,
          "image not removed: " ~ glance_images.errors | join("; ")) }}
{%-   else %}

glance-image-{{ key }}-absent:
  glance_image.absent:
    - name: {{ image.name | json }}
    - auth: {{ glance_images.auth | json }}
{%-     if image.cached %}

glance-image-{{ key }}-cache-absent:
  file.absent:
    - name: {{ image.cached | json }}
    - require:
      - glance_image: glance-image-{{ key }}-absent
{%-     endif %}
{%-   endif %}
{%- endfor %}
