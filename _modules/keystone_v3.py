"""
Keystone Identity API v3: projects, users, roles, role grants, services, endpoints.

Salt 3008 ships no OpenStack modules; this one talks to Keystone's v3 API (served by
Icehouse beside v2.0, and the only one today) through a keystoneauth1 session. It does the
I/O; the ``keystone_*`` state modules decide what to change.

:depends: keystoneauth1

Authentication
--------------
Settings come from the ``keystone:auth`` block of pillar or minion config (read with
``config.get``), overridden key by key by the ``auth`` argument that every function takes:

.. code-block:: yaml

    keystone:
      auth:
        auth_url: http://cn43.internal:35357/v3   # required (the states give the head's)
        # either the bootstrap admin token ([DEFAULT] admin_token in keystone.conf) ...
        token: <ADMIN_TOKEN>
        # ... or a user's password, scoped to a project
        username: admin
        password: <ADMIN_PASS>
        project_name: admin
        user_domain_id: default       # the default
        project_domain_id: default    # the default
        retry_timeout: 60             # seconds to wait for a Keystone that is not up yet
        timeout: 10                   # seconds for one request
        verify: true                  # TLS verification, or a CA bundle path

Requests go through the shared OpenStack client (``_utils/openstack_client.py``) and
the Keystone plumbing (``_utils/keystone_client.py``): bounded retries, no secret in any
message, creates that survive a lost answer (looked up, never sent twice), and with
``cache=True`` (what the states pass) one list request per resource type and run.

Identity API calls used (all in Icehouse's v3.2 and in today's Keystone)
-------------------------------------------------------------------------
``POST /auth/tokens`` (password or token check), ``GET/POST /projects``,
``PATCH/DELETE /projects/{id}``, ``GET/POST /users``, ``PATCH/DELETE /users/{id}``,
``GET/POST /roles``, ``DELETE /roles/{id}``, ``GET /role_assignments``,
``PUT/DELETE /projects/{id}/users/{id}/roles/{id}``, ``GET/POST /services``,
``PATCH/DELETE /services/{id}``, ``GET/POST /regions`` (v3.2 introduced regions; a POST
with an ``id`` keeps it), ``GET/POST /endpoints``, ``PATCH/DELETE /endpoints/{id}``.

Regions: an Icehouse (v3.2) endpoint has ``region``, a free string that its v2.0 catalog
shows; ``region_id``, a reference to a region, came with Juno, where ``region`` is still
accepted and read back. Endpoints are created and updated with both keys set to the same
region name, so both kinds of Keystone store it (Icehouse keeps the unknown ``region_id``
as an extra attribute). The ``keystone_endpoint`` state counts an endpoint as right only
when both say its region.
"""

from salt.exceptions import CommandExecutionError

__virtualname__ = "keystone_v3"

DEFAULT_DOMAIN = "default"
# The region the runbook's `keystone endpoint-create` (v2.0 CLI) gives every endpoint.
DEFAULT_REGION = "regionOne"
INTERFACES = ("public", "internal", "admin")
CACHE_KEY = "keystone_v3.cache"  # (keystone_client.CACHE_KEY)


def __virtual__():
    # keystoneauth1 is imported by the shared client alone, which says when it is missing.
    return __utils__["openstack_client.virtual"](__virtualname__)


# -- the plumbing (_utils/keystone_client.py on _utils/openstack_client.py) ---------------------


def _client(name):
    return __utils__["openstack_client." + name]


def _conn(auth, need_credentials=True):
    """The Keystone connection of one call: settings from ``keystone:auth`` and ``auth``."""
    config = None
    if "config.get" in __salt__:
        config = __salt__["config.get"]("keystone:auth", {}) or None
    settings = _client("resolve")(
        config, auth, need_credentials=need_credentials, dry_run=__opts__.get("test")
    )
    return __utils__["keystone_client.connect"](__context__, settings, _client)


def _ks(name):
    return __utils__["keystone_client." + name]


def clear_cache():
    """
    Forget the resources listed so far in this run, so the next call lists them again.

    CLI Example: ``salt cn43 keystone_v3.clear_cache``
    """
    __context__.pop(CACHE_KEY, None)
    __context__.pop("openstack_client.unreachable", None)
    return True


# -- projects -------------------------------------------------------------------------------------


def project_list(domain=DEFAULT_DOMAIN, auth=None, cache=False):
    """
    List the projects (the runbook's tenants) of a domain.

    CLI Example: ``salt cn43 keystone_v3.project_list``
    """
    return _conn(auth).list(
        "projects:" + domain, "/projects?domain_id=" + domain, "projects", cache
    )


def project_get(name, domain=DEFAULT_DOMAIN, auth=None, cache=False):
    """
    Return the project called ``name`` in ``domain``, or None.

    CLI Example: ``salt cn43 keystone_v3.project_get service``
    """
    return _ks("by_name")(project_list(domain=domain, auth=auth, cache=cache), name)


def project_create(name, description=None, enabled=True, domain=DEFAULT_DOMAIN, auth=None):
    """
    Create a project in ``domain`` and return it.

    CLI Example: ``salt cn43 keystone_v3.project_create demo description="Demo Tenant"``
    """
    conn = _conn(auth)
    project = {"name": name, "domain_id": domain, "enabled": bool(enabled)}
    if description is not None:
        project["description"] = description
    return conn.create_named("project", project)


def project_update(project_id, auth=None, **kwargs):
    """
    Change a project's ``name``, ``description`` or ``enabled`` in place; return it.

    CLI Example: ``salt cn43 keystone_v3.project_update 3f2a... description="Service Tenant"``
    """
    conn = _conn(auth)
    fields = _ks("fields")(kwargs, ("name", "description", "enabled"))
    return conn.patch("projects:", "projects", "project", project_id, fields)


def project_delete(project_id, auth=None):
    """
    Delete a project.

    CLI Example: ``salt cn43 keystone_v3.project_delete 3f2a...``
    """
    drops = (("projects:", "id"), ("role_assignments", "project_id"))
    return _conn(auth).delete("projects", project_id, *drops)


# -- users ----------------------------------------------------------------------------------------


def user_list(domain=DEFAULT_DOMAIN, auth=None, cache=False):
    """
    List the users of a domain.

    CLI Example: ``salt cn43 keystone_v3.user_list``
    """
    return _conn(auth).list("users:" + domain, "/users?domain_id=" + domain, "users", cache)


def user_get(name, domain=DEFAULT_DOMAIN, auth=None, cache=False):
    """
    Return the user called ``name`` in ``domain``, or None.

    CLI Example: ``salt cn43 keystone_v3.user_get glance``
    """
    return _ks("by_name")(user_list(domain=domain, auth=auth, cache=cache), name)


def user_create(
    name,
    password=None,
    email=None,
    enabled=True,
    default_project_id=None,
    domain=DEFAULT_DOMAIN,
    auth=None,
):
    """
    Create a user in ``domain`` and return it (the password is never echoed back).

    CLI Example: ``salt cn43 keystone_v3.user_create demo password=s3cret email=demo@cern.ch``
    """
    conn = _conn(auth)
    user = {"name": name, "domain_id": domain, "enabled": bool(enabled)}
    if email is not None:
        user["email"] = email
    if default_project_id is not None:
        user["default_project_id"] = default_project_id
    if password is not None:
        user["password"] = str(password)

    def verify(found):
        # (a disabled user gets no token whatever its password)
        if password is None or not found.get("enabled", True):
            return None
        if token_check(name, password, user_domain=domain, auth=auth)["valid"]:
            return None
        return "password (the one sent gets no token)"

    return conn.create_named("user", user, verify)


def user_update(user_id, password=None, auth=None, **kwargs):
    """
    Change a user's ``name``, ``email``, ``enabled`` or ``default_project_id`` in place,
    and its ``password`` when given, in one request.

    CLI Example: ``salt cn43 keystone_v3.user_update 9c1e... email=dario.berzano@cern.ch``
    """
    conn = _conn(auth)
    fields = _ks("fields")(kwargs, ("name", "email", "enabled", "default_project_id"))
    if password is not None:
        fields["password"] = str(password)
    return conn.patch("users:", "users", "user", user_id, fields)


def user_set_password(user_id, password, auth=None):
    """
    Set a user's password (as an administrator: the old one is not needed).

    CLI Example: ``salt cn43 keystone_v3.user_set_password 9c1e... password=s3cret``
    """
    body = {"user": {"password": str(password)}}
    _conn(auth).send("PATCH", "/users/" + user_id, body, secrets=(str(password),))
    return True


def user_delete(user_id, auth=None):
    """
    Delete a user.

    CLI Example: ``salt cn43 keystone_v3.user_delete 9c1e...``
    """
    drops = (("users:", "id"), ("role_assignments", "user_id"))
    return _conn(auth).delete("users", user_id, *drops)


def token_check(
    username,
    password,
    project=None,
    user_domain=DEFAULT_DOMAIN,
    project_domain=DEFAULT_DOMAIN,
    auth=None,
):
    """
    Ask Keystone for a token with a user's password: the runbook's ``token-get`` check.

    Returns ``{"valid": True, "status": 201}`` when a token is issued and
    ``{"valid": False, "status": 401}`` when the password (or the scope) is refused. The
    token is unscoped unless ``project`` is given. Only ``auth_url`` and the retry
    settings of ``auth`` are used: the check authenticates as ``username`` alone.

    CLI Example: ``salt cn43 keystone_v3.token_check admin password=... project=admin``
    """
    conn = _conn(auth, need_credentials=False)
    return conn.token_check(username, password, project, user_domain, project_domain)


# -- roles and grants -----------------------------------------------------------------------------


def role_list(auth=None, cache=False):
    """
    List the global roles.

    CLI Example: ``salt cn43 keystone_v3.role_list``
    """
    return _conn(auth).list("roles", "/roles", "roles", cache)


def role_get(name, auth=None, cache=False):
    """
    Return the global role called ``name``, or None.

    CLI Example: ``salt cn43 keystone_v3.role_get _member_``
    """
    return _ks("by_name")(role_list(auth=auth, cache=cache), name)


def role_create(name, auth=None):
    """
    Create a global role and return it.

    CLI Example: ``salt cn43 keystone_v3.role_create _member_``
    """
    sent, what = {"name": name}, f"role '{name}'"
    return _conn(auth).create_one("role", sent, what, same=("name",), conflict=True)


def role_delete(role_id, auth=None):
    """
    Delete a role (and with it every grant of it).

    CLI Example: ``salt cn43 keystone_v3.role_delete 5d0c...``
    """
    drops = (("roles", "id"), ("role_assignments", "role_id"))
    return _conn(auth).delete("roles", role_id, *drops)


def role_assignment_list(auth=None, cache=False):
    """
    List the direct grants of roles to users on projects, as
    ``{"user_id": ..., "project_id": ..., "role_id": ...}``.

    CLI Example: ``salt cn43 keystone_v3.role_assignment_list``
    """
    conn = _conn(auth)
    path, shape = "/role_assignments", _ks("grants")
    return conn.list("role_assignments", path, "role_assignments", cache, shape=shape)


def role_grant(user_id, project_id, role_id, auth=None):
    """
    Grant a role to a user on a project (idempotent on Keystone's side too).

    CLI Example: ``salt cn43 keystone_v3.role_grant 9c1e... 3f2a... 5d0c...``
    """
    return _conn(auth).grant(user_id, project_id, role_id)


def role_revoke(user_id, project_id, role_id, auth=None):
    """
    Revoke a user's role on a project.

    CLI Example: ``salt cn43 keystone_v3.role_revoke 9c1e... 3f2a... 5d0c...``
    """
    _conn(auth).send("DELETE", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
    grant = {"user_id": user_id, "project_id": project_id, "role_id": role_id}
    _conn(auth).cache_drop("role_assignments", lambda a: a == grant)
    return True


# -- services -------------------------------------------------------------------------------------


def service_list(auth=None, cache=False):
    """
    List the services of the catalog.

    CLI Example: ``salt cn43 keystone_v3.service_list``
    """
    return _conn(auth).list("services", "/services", "services", cache)


def service_create(name, service_type, description=None, enabled=True, auth=None):
    """
    Create a catalog service and return it.

    CLI Example: ``salt cn43 keystone_v3.service_create glance image description="Image Service"``
    """
    conn = _conn(auth)
    service = {"name": name, "type": service_type, "enabled": bool(enabled)}
    if description is not None:
        service["description"] = description
    what = f"service '{name}' of type '{service_type}'"
    return conn.create_one("service", service, what, same=("name", "type"))


def service_update(service_id, auth=None, **kwargs):
    """
    Change a service's ``name``, ``type``, ``description`` or ``enabled`` in place.

    CLI Example: ``salt cn43 keystone_v3.service_update 7a9b... description="OpenStack Compute"``
    """
    conn = _conn(auth)
    fields = _ks("fields")(kwargs, ("name", "type", "description", "enabled"))
    return conn.patch("services", "services", "service", service_id, fields)


def service_delete(service_id, auth=None):
    """
    Delete a service; Keystone deletes its endpoints with it.

    CLI Example: ``salt cn43 keystone_v3.service_delete 7a9b...``
    """
    drops = (("services", "id"), ("endpoints", "service_id"))
    return _conn(auth).delete("services", service_id, *drops)


# -- regions --------------------------------------------------------------------------------------


def region_list(auth=None, cache=False):
    """
    List the regions.

    CLI Example: ``salt cn43 keystone_v3.region_list``
    """
    return _conn(auth).list("regions", "/regions", "regions", cache)


def region_create(region_id, description=None, auth=None):
    """
    Create a region with the given id and return it.

    CLI Example: ``salt cn43 keystone_v3.region_create RegionTwo``
    """
    conn = _conn(auth)
    region = {"id": region_id}
    if description is not None:
        region["description"] = description
    return conn.create_one("region", region, f"region '{region_id}'", same=("id",))


# -- endpoints ------------------------------------------------------------------------------------


def endpoint_list(auth=None, cache=False):
    """
    List the endpoints of every service, interface and region.

    CLI Example: ``salt cn43 keystone_v3.endpoint_list``
    """
    return _conn(auth).list("endpoints", "/endpoints", "endpoints", cache)


def endpoint_region_fields(region):
    """
    The request fields that put an endpoint in ``region``: ``region`` (Icehouse, v3.2) and
    ``region_id`` (Juno and later), the same name in both.

    CLI Example: ``salt cn43 keystone_v3.endpoint_region_fields regionOne``
    """
    if not isinstance(region, str) or not region:
        raise CommandExecutionError(f"region must be a non-empty string, not {region!r}")
    return {"region": region, "region_id": region}


def endpoint_create(service_id, interface, url, region=DEFAULT_REGION, enabled=True, auth=None):
    """
    Create one endpoint (one interface of one service in one region) and return it. The region
    is sent as both ``region`` and ``region_id`` (see the module's docstring).

    CLI Example: ``salt cn43 keystone_v3.endpoint_create 7a9b... public http://cn43.internal:9292``
    """
    if interface not in INTERFACES:
        raise CommandExecutionError(
            "interface must be one of {}, not '{}'".format(", ".join(INTERFACES), interface)
        )
    conn = _conn(auth)
    endpoint = {
        "service_id": service_id,
        "interface": interface,
        "url": url,
        **endpoint_region_fields(region),
        "enabled": bool(enabled),
    }
    what = f"{interface} endpoint of service {service_id} in region '{region}'"

    def match(ep):
        same = (ep.get("service_id"), ep.get("interface")) == (service_id, interface)
        return same and region in (ep.get("region"), ep.get("region_id"))

    return conn.create_one("endpoint", endpoint, what, match=match)


def endpoint_update(endpoint_id, auth=None, **kwargs):
    """
    Change an endpoint's ``url``, ``enabled`` or region in place (PATCH; its id stays). A
    region given as ``region`` or ``region_id`` is sent as both.

    CLI Example: ``salt cn43 keystone_v3.endpoint_update 1b2c... url=http://cn43.internal:5000/v2.0``
    """
    conn = _conn(auth)
    fields = _ks("fields")(kwargs, ("url", "enabled", "region", "region_id"))
    regions = {fields.pop(key) for key in ("region", "region_id") if key in fields}
    if len(regions) > 1:
        raise CommandExecutionError(f"region and region_id differ: {sorted(regions)}")
    if regions:
        fields.update(endpoint_region_fields(regions.pop()))
    return conn.patch("endpoints", "endpoints", "endpoint", endpoint_id, fields)


def endpoint_delete(endpoint_id, auth=None):
    """
    Delete an endpoint.

    CLI Example: ``salt cn43 keystone_v3.endpoint_delete 1b2c...``
    """
    return _conn(auth).delete("endpoints", endpoint_id, ("endpoints", "id"))
