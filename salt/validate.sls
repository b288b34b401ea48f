# First state of every highstate (included first by head.sls and compute.sls):
# the inventory, this node's entry and its pillar pass the schema of
# _modules/hltcloud.py, or the run stops here (failhard) and nothing changes.
# The master checks the same while it compiles the pillar (_pillar/hltcloud_validate.py).
hltcloud-data-validated:
  hltcloud_validate.checked:
    - order: 1
    - failhard: true
