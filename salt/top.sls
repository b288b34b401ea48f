# States by role (the `role` grain, _grains/hltcloud.py). A node outside the
# inventory has no role and so an empty highstate.
base:
  'role:head':
    - match: grain
    - head
  'role:compute':
    - match: grain
    - compute
