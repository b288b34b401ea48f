{#- Runbook: the CirrOS test image, registered public in Glance (`wget ...;
    glance image-create ... < cirros-0.3.2-x86_64-disk.img`). For each image of
    pillar glance:images (salt/glance/images.jinja), glance_image.present
    downloads the file once into parameters glance:images:cache_dir (not in a
    dry run; its size enforced while streaming, within parameters
    glance:images:download timeout and deadline), checks it against its source_hash, and creates and uploads the
    image unless one of that name and checksum is there. It authenticates as the admin
    user; the image endpoint comes from keystone.catalog. -#}
{%- from "macros.jinja" import failed %}
{%- from "map.jinja" import hltcloud with context %}
{%- from "glance/images.jinja" import glance_images with context %}
include:
  - glance.service.running
  - keystone.catalog

{%- for key, image in glance_images.images | dictsort %}
{%-   if glance_images.errors %}

{{ failed("glance-image-" ~ key ~ "-present", image.name,
          "image not registered: " ~ glance_images.errors | join("; ")) }}
{%-   else %}

glance-image-{{ key }}-present:
  glance_image.present:
    - name: {{ image.name | json }}
    - source: {{ image.source | json }}
    - cache_dir: {{ hltcloud.glance.images.cache_dir | json }}
    - source_hash: {{ image.source_hash | json }}
{%-     if image.size %}
    - size: {{ image.size | json }}
    - timeout: {{ hltcloud.glance.images.download.timeout | json }}
    - deadline: {{ hltcloud.glance.images.download.deadline | json }}
{%-     endif %}
    - disk_format: {{ image.disk_format | json }}
    - container_format: {{ image.container_format | json }}
    - visibility: {{ image.visibility | json }}
    - stale_after: {{ hltcloud.glance.images.stale_after | json }}
    - auth: {{ glance_images.auth | json }}
    - require:
      - sls: glance.service.running
      - sls: keystone.catalog
{%-   endif %}
{%- endfor %}
