# Pillar by role (the `role` grain, _grains/hltcloud.py). A node outside the
# inventory gets nothing; a node gets only the secrets of its role.
base:
  'role:head':
    - match: grain
    - cluster
    - secrets.head
    - keystone
    - client
  'role:compute':
    - match: grain
    - cluster
    - secrets.compute
    - selfheal
