# The head node's Glance images (runbook, "Glance: the image service": the
# CirrOS test image), registered by salt/glance/image. Every key is in
# pillar.example.
glance:
  images:
    cirros:
      name: CirrOS Test Image
      source: http://cdn.download.cirros-cloud.net/0.3.2/cirros-0.3.2-x86_64-disk.img
      # The image's md5, which Glance reports as its checksum.
      source_hash: md5=64d7c1cd2b6f60c92c14662941cb7913
      # Its size in bytes: the download stops past it and fails short of it.
      size: 13167616
      disk_format: qcow2
      container_format: bare
      visibility: public
