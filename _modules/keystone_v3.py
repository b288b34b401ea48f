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

Failures
--------
Requests go through the shared OpenStack client (``_utils/openstack_client.py``). Every
failure is a ``CommandExecutionError`` whose message says what failed and where: Keystone
not answering (refused connections, no answer, HTTP 500/502/503/504 to a read) is retried
with a doubling delay, and one deadline bounds the whole call (``retry_timeout`` plus one
``timeout``, attempts and the reading of answers included); later calls of the same run
fail at once (after refused connections: try once); a refused admin token or password
(HTTP 401) fails at once. A write Keystone may have received without answering (or
answered with HTTP 500) is not sent again (it may have been applied). Passwords and
tokens never appear in messages or logs (requests carrying one are not logged).

Lost answers
------------
A create (``POST``) whose answer was lost (Keystone committed it, then died or the
connection broke) is not sent again: the object is looked up afresh instead (a service by
name and type, an endpoint by service, interface and region, a user or project by name in
its domain, a role by name, a region by id), and so is one Keystone refused with HTTP 409
(the user, project or role name is taken: a write of an earlier call that landed). One
found with the fields sent (a user's password too: it must get a token) is returned as the
object created; none, several, or one with other fields fail saying so, and nothing is
created twice. A role grant (``PUT``) is checked the same way.

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

Prefetch
--------
With ``cache=True`` (what the states pass) each resource type is listed once per state
run and kept in ``__context__`` (a fresh one per run); writes update that copy, so a whole
catalog converges on one list request per type. Called directly, functions list afresh.
"""

import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_v3"

DEFAULT_DOMAIN = "default"
# The region the runbook's `keystone endpoint-create` (v2.0 CLI) gives every endpoint.
DEFAULT_REGION = "regionOne"
INTERFACES = ("public", "internal", "admin")
CACHE_KEY = "keystone_v3.cache"


def __virtual__():
    # keystoneauth1 is imported by the shared client alone, which says when it is missing.
    return __utils__["openstack_client.virtual"](__virtualname__)


# -- the shared OpenStack client (_utils/openstack_client.py) -------------------------------------


def _client(name):
    return __utils__["openstack_client." + name]


def _settings(auth, need_credentials=True):
    config = None
    if "config.get" in __salt__:
        config = __salt__["config.get"]("keystone:auth", {}) or None
    return _client("resolve")(
        config, auth, need_credentials=need_credentials, dry_run=__opts__.get("test")
    )


def _send(settings, method, path, body=None, authenticated=True, secrets=(), expect=None):
    """Send one request to Keystone through the shared client; return the response."""
    kwargs = {"authenticated": authenticated, "secrets": secrets}
    if expect is not None:
        kwargs["expect"] = expect
    return _client("request")(__context__, settings, method, path, body, **kwargs)


def _get_all(settings, path, key):
    """GET a collection, following ``links.next`` should Keystone paginate."""
    return _client("get_all")(__context__, settings, path, key)


# -- the prefetch cache ---------------------------------------------------------------------------


def _cache_slot(settings, kind):
    return (settings["auth_url"], kind)


def _list(settings, kind, path, key, cache):
    """The collection ``kind``; with ``cache`` fetched at most once per run."""
    store = __context__.setdefault(CACHE_KEY, {})
    slot = _cache_slot(settings, kind)
    if cache and slot in store:
        return [dict(item) for item in store[slot]]
    items = _get_all(settings, path, key)
    if cache:
        store[slot] = [dict(item) for item in items]
    return items


def _cache_put(settings, kind, item, id_key="id"):
    store = __context__.get(CACHE_KEY, {})
    slot = _cache_slot(settings, kind)
    if slot in store:
        store[slot] = [i for i in store[slot] if i.get(id_key) != item.get(id_key)]
        store[slot].append(dict(item))


def _cache_drop(settings, kind, match):
    store = __context__.get(CACHE_KEY, {})
    slot = _cache_slot(settings, kind)
    if slot in store:
        store[slot] = [i for i in store[slot] if not match(i)]


def clear_cache():
    """
    Forget the resources listed so far in this run, so the next call lists them again.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.clear_cache
    """
    __context__.pop(CACHE_KEY, None)
    __context__.pop("openstack_client.unreachable", None)
    return True


def _listed_after(exc, what, settings, path, key):
    """The collection, listed afresh after the write that failed with ``exc``."""
    try:
        return _get_all(settings, path, key)
    except CommandExecutionError as failed:
        raise CommandExecutionError(f"{exc}; looking for {what} failed too: {failed}") from None


def _lookup(settings, exc, what, list_path, collection, sent, match, conflict, verify):
    """
    The object a create that failed with ``exc`` may have made, found afresh (no cache)
    among ``collection`` at ``list_path`` by ``match``; ``exc`` again when the failure says
    nothing was made (or, but with ``conflict``, Keystone refused with HTTP 409).
    """
    unsure = _client("maybe_applied")(exc)
    if not unsure and not (conflict and _client("status_of")(exc) == 409):
        raise exc
    found = [
        item for item in _listed_after(exc, what, settings, list_path, collection) if match(item)
    ]
    if not found and not unsure:
        raise exc

    why = None
    if len(found) == 1:
        differ = sorted(k for k, v in sent.items() if k != "password" and found[0].get(k) != v)
        why = ", ".join(differ) + " differ(s) from the request's" if differ else verify(found[0])
    return _client("taken_after_lost")(exc, "Keystone", what, found, why)


def _create(settings, what, kind, list_path, key, sent, match, conflict=False, verify=None):
    """
    POST ``{key: sent}`` to the collection of ``key`` (``service`` -> ``/services``) and
    return what Keystone made. A lost answer (and, with ``conflict``, HTTP 409) is followed
    by a lookup (see "Lost answers" in the module's docstring), never by a second POST.
    """
    collection = key + "s"
    try:
        secrets = (sent["password"],) if sent.get("password") else ()
        created = _send(settings, "POST", "/" + collection, {key: sent}, secrets=secrets)
        created = created.json()[key]
    except CommandExecutionError as exc:
        created = _lookup(
            settings,
            exc,
            what,
            list_path,
            collection,
            sent,
            match,
            conflict,
            verify or (lambda found: None),
        )
    _cache_put(settings, kind, created)
    return created


def _create_named(settings, key, sent, verify=None):
    """
    ``_create`` for a project or user (``key``): its name is unique in its domain, so
    Keystone refuses a second one with HTTP 409, which is looked into too.
    """
    name, domain = sent["name"], sent["domain_id"]
    return _create(
        settings,
        f"{key} '{name}' in domain '{domain}'",
        f"{key}s:{domain}",
        f"/{key}s?domain_id={domain}",
        key,
        sent,
        lambda item: item.get("name") == name,
        conflict=True,
        verify=verify,
    )


def _by_name(items, name):
    found = [i for i in items if i.get("name") == name]
    if len(found) > 1:
        raise CommandExecutionError(
            "{} objects are named '{}' (ids {}): resolve the duplicates by hand".format(
                len(found), name, ", ".join(sorted(i["id"] for i in found))
            )
        )
    return found[0] if found else None


def _fields(kwargs, allowed):
    extra = {k for k in kwargs if not k.startswith("__")} - set(allowed)
    if extra:
        raise CommandExecutionError("unexpected argument(s): {}".format(", ".join(sorted(extra))))
    return {k: v for k, v in kwargs.items() if k in allowed}


# -- projects -------------------------------------------------------------------------------------


def project_list(domain=DEFAULT_DOMAIN, auth=None, cache=False):
    """
    List the projects (the runbook's tenants) of a domain.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.project_list
    """
    settings = _settings(auth)
    return _list(settings, "projects:" + domain, "/projects?domain_id=" + domain, "projects", cache)


def project_get(name, domain=DEFAULT_DOMAIN, auth=None, cache=False):
    """
    Return the project called ``name`` in ``domain``, or None.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.project_get service
    """
    return _by_name(project_list(domain=domain, auth=auth, cache=cache), name)


def project_create(name, description=None, enabled=True, domain=DEFAULT_DOMAIN, auth=None):
    """
    Create a project in ``domain`` and return it.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.project_create demo description="Demo Tenant"
    """
    settings = _settings(auth)
    project = {"name": name, "domain_id": domain, "enabled": bool(enabled)}
    if description is not None:
        project["description"] = description
    return _create_named(settings, "project", project)


def project_update(project_id, auth=None, **kwargs):
    """
    Change a project's ``name``, ``description`` or ``enabled`` in place; return it.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.project_update 3f2a... description="Service Tenant"
    """
    settings = _settings(auth)
    fields = _fields(kwargs, ("name", "description", "enabled"))
    updated = _send(settings, "PATCH", "/projects/" + project_id, {"project": fields}).json()[
        "project"
    ]
    _cache_put(settings, "projects:" + updated.get("domain_id", DEFAULT_DOMAIN), updated)
    return updated


def project_delete(project_id, auth=None):
    """
    Delete a project.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.project_delete 3f2a...
    """
    settings = _settings(auth)
    _send(settings, "DELETE", "/projects/" + project_id)
    store = __context__.get(CACHE_KEY, {})
    for slot in list(store):
        if slot[0] == settings["auth_url"] and slot[1].startswith("projects:"):
            _cache_drop(settings, slot[1], lambda i: i.get("id") == project_id)
    _cache_drop(settings, "role_assignments", lambda a: a["project_id"] == project_id)
    return True


# -- users ----------------------------------------------------------------------------------------


def user_list(domain=DEFAULT_DOMAIN, auth=None, cache=False):
    """
    List the users of a domain.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.user_list
    """
    settings = _settings(auth)
    return _list(settings, "users:" + domain, "/users?domain_id=" + domain, "users", cache)


def user_get(name, domain=DEFAULT_DOMAIN, auth=None, cache=False):
    """
    Return the user called ``name`` in ``domain``, or None.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.user_get glance
    """
    return _by_name(user_list(domain=domain, auth=auth, cache=cache), name)


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

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.user_create demo password=s3cret email=dario.berzano@cern.ch
    """
    settings = _settings(auth)
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

    return _create_named(settings, "user", user, verify)


def user_update(user_id, password=None, auth=None, **kwargs):
    """
    Change a user's ``name``, ``email``, ``enabled`` or ``default_project_id`` in place,
    and its ``password`` when given, in one request.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.user_update 9c1e... email=dario.berzano@cern.ch
    """
    settings = _settings(auth)
    fields = _fields(kwargs, ("name", "email", "enabled", "default_project_id"))
    hidden = ()
    if password is not None:
        fields["password"] = str(password)
        hidden = (fields["password"],)
    updated = _send(
        settings, "PATCH", "/users/" + user_id, {"user": fields}, secrets=hidden
    ).json()["user"]
    _cache_put(settings, "users:" + updated.get("domain_id", DEFAULT_DOMAIN), updated)
    return updated


def user_set_password(user_id, password, auth=None):
    """
    Set a user's password (as an administrator: the old one is not needed).

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.user_set_password 9c1e... password=s3cret
    """
    settings = _settings(auth)
    _send(
        settings,
        "PATCH",
        "/users/" + user_id,
        {"user": {"password": str(password)}},
        secrets=(str(password),),
    )
    return True


def user_delete(user_id, auth=None):
    """
    Delete a user.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.user_delete 9c1e...
    """
    settings = _settings(auth)
    _send(settings, "DELETE", "/users/" + user_id)
    store = __context__.get(CACHE_KEY, {})
    for slot in list(store):
        if slot[0] == settings["auth_url"] and slot[1].startswith("users:"):
            _cache_drop(settings, slot[1], lambda i: i.get("id") == user_id)
    _cache_drop(settings, "role_assignments", lambda a: a["user_id"] == user_id)
    return True


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

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.token_check admin password=... project=admin
    """
    settings = _settings(auth, need_credentials=False)
    identity = {
        "methods": ["password"],
        "password": {
            "user": {
                "name": username,
                "domain": {"id": user_domain},
                "password": str(password),
            }
        },
    }
    body = {"auth": {"identity": identity}}
    if project:
        body["auth"]["scope"] = {"project": {"name": project, "domain": {"id": project_domain}}}
    resp = _send(
        settings,
        "POST",
        "/auth/tokens",
        body,
        authenticated=False,
        secrets=(str(password),),
        expect=(201, 401),
    )
    return {"valid": resp.status_code == 201, "status": resp.status_code}


# -- roles and grants -----------------------------------------------------------------------------


def role_list(auth=None, cache=False):
    """
    List the global roles.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.role_list
    """
    settings = _settings(auth)
    return _list(settings, "roles", "/roles", "roles", cache)


def role_get(name, auth=None, cache=False):
    """
    Return the global role called ``name``, or None.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.role_get _member_
    """
    return _by_name(role_list(auth=auth, cache=cache), name)


def role_create(name, auth=None):
    """
    Create a global role and return it.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.role_create _member_
    """
    settings = _settings(auth)
    return _create(
        settings,
        f"role '{name}'",
        "roles",
        "/roles",
        "role",
        {"name": name},
        lambda r: r.get("name") == name,
        conflict=True,
    )


def role_delete(role_id, auth=None):
    """
    Delete a role (and with it every grant of it).

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.role_delete 5d0c...
    """
    settings = _settings(auth)
    _send(settings, "DELETE", "/roles/" + role_id)
    _cache_drop(settings, "roles", lambda i: i.get("id") == role_id)
    _cache_drop(settings, "role_assignments", lambda a: a["role_id"] == role_id)
    return True


def _grants(raw):
    """The user-on-project grants among Keystone's ``role_assignments``, in our shape."""
    return [
        {
            "user_id": a["user"]["id"],
            "project_id": a["scope"]["project"]["id"],
            "role_id": a["role"]["id"],
        }
        for a in raw
        if "user" in a and "project" in a.get("scope", {})
    ]


def role_assignment_list(auth=None, cache=False):
    """
    List the direct grants of roles to users on projects, as
    ``{"user_id": ..., "project_id": ..., "role_id": ...}``.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.role_assignment_list
    """
    settings = _settings(auth)
    store = __context__.setdefault(CACHE_KEY, {})
    slot = _cache_slot(settings, "role_assignments")
    if cache and slot in store:
        return [dict(a) for a in store[slot]]
    grants = _grants(_get_all(settings, "/role_assignments", "role_assignments"))
    if cache:
        store[slot] = [dict(g) for g in grants]
    return grants


def role_grant(user_id, project_id, role_id, auth=None):
    """
    Grant a role to a user on a project (idempotent on Keystone's side too).

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.role_grant 9c1e... 3f2a... 5d0c...
    """
    settings = _settings(auth)
    grant = {"user_id": user_id, "project_id": project_id, "role_id": role_id}
    try:
        _send(settings, "PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
    except CommandExecutionError as exc:
        if not _client("maybe_applied")(exc):
            raise
        listed = _listed_after(exc, "the grant", settings, "/role_assignments", "role_assignments")
        if grant not in _grants(listed):
            raise CommandExecutionError(
                f"{exc}; Keystone holds no such grant now, so it was not applied: apply "
                "again to grant it"
            ) from None
        log.warning("keystone_v3: %s; the grant is there: taken as made", exc)
    _cache_drop(settings, "role_assignments", lambda a: a == grant)
    store = __context__.get(CACHE_KEY, {})
    slot = _cache_slot(settings, "role_assignments")
    if slot in store:
        store[slot].append(grant)
    return True


def role_revoke(user_id, project_id, role_id, auth=None):
    """
    Revoke a user's role on a project.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.role_revoke 9c1e... 3f2a... 5d0c...
    """
    settings = _settings(auth)
    _send(
        settings,
        "DELETE",
        f"/projects/{project_id}/users/{user_id}/roles/{role_id}",
    )
    grant = {"user_id": user_id, "project_id": project_id, "role_id": role_id}
    _cache_drop(settings, "role_assignments", lambda a: a == grant)
    return True


# -- services -------------------------------------------------------------------------------------


def service_list(auth=None, cache=False):
    """
    List the services of the catalog.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.service_list
    """
    settings = _settings(auth)
    return _list(settings, "services", "/services", "services", cache)


def service_create(name, service_type, description=None, enabled=True, auth=None):
    """
    Create a catalog service and return it.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.service_create glance image description="OpenStack Image Service"
    """
    settings = _settings(auth)
    service = {"name": name, "type": service_type, "enabled": bool(enabled)}
    if description is not None:
        service["description"] = description
    return _create(
        settings,
        f"service '{name}' of type '{service_type}'",
        "services",
        "/services",
        "service",
        service,
        lambda s: s.get("name") == name and s.get("type") == service_type,
    )


def service_update(service_id, auth=None, **kwargs):
    """
    Change a service's ``name``, ``type``, ``description`` or ``enabled`` in place.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.service_update 7a9b... description="OpenStack Compute"
    """
    settings = _settings(auth)
    fields = _fields(kwargs, ("name", "type", "description", "enabled"))
    updated = _send(settings, "PATCH", "/services/" + service_id, {"service": fields}).json()[
        "service"
    ]
    _cache_put(settings, "services", updated)
    return updated


def service_delete(service_id, auth=None):
    """
    Delete a service; Keystone deletes its endpoints with it.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.service_delete 7a9b...
    """
    settings = _settings(auth)
    _send(settings, "DELETE", "/services/" + service_id)
    _cache_drop(settings, "services", lambda i: i.get("id") == service_id)
    _cache_drop(settings, "endpoints", lambda i: i.get("service_id") == service_id)
    return True


# -- regions --------------------------------------------------------------------------------------


def region_list(auth=None, cache=False):
    """
    List the regions.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.region_list
    """
    settings = _settings(auth)
    return _list(settings, "regions", "/regions", "regions", cache)


def region_create(region_id, description=None, auth=None):
    """
    Create a region with the given id and return it.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.region_create RegionTwo
    """
    settings = _settings(auth)
    region = {"id": region_id}
    if description is not None:
        region["description"] = description
    return _create(
        settings,
        f"region '{region_id}'",
        "regions",
        "/regions",
        "region",
        region,
        lambda r: r.get("id") == region_id,
    )


# -- endpoints ------------------------------------------------------------------------------------


def endpoint_list(auth=None, cache=False):
    """
    List the endpoints of every service, interface and region.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.endpoint_list
    """
    settings = _settings(auth)
    return _list(settings, "endpoints", "/endpoints", "endpoints", cache)


def endpoint_region_fields(region):
    """
    The request fields that put an endpoint in ``region``: ``region`` (Icehouse, v3.2) and
    ``region_id`` (Juno and later), the same name in both.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.endpoint_region_fields regionOne
    """
    if not isinstance(region, str) or not region:
        raise CommandExecutionError(f"region must be a non-empty string, not {region!r}")
    return {"region": region, "region_id": region}


def endpoint_create(service_id, interface, url, region=DEFAULT_REGION, enabled=True, auth=None):
    """
    Create one endpoint (one interface of one service in one region) and return it. The region
    is sent as both ``region`` and ``region_id`` (see the module's docstring).

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.endpoint_create 7a9b... public 'http://cn43.internal:9292'
    """
    if interface not in INTERFACES:
        raise CommandExecutionError(
            "interface must be one of {}, not '{}'".format(", ".join(INTERFACES), interface)
        )
    settings = _settings(auth)
    endpoint = {
        "service_id": service_id,
        "interface": interface,
        "url": url,
        **endpoint_region_fields(region),
        "enabled": bool(enabled),
    }
    return _create(
        settings,
        f"{interface} endpoint of service {service_id} in region '{region}'",
        "endpoints",
        "/endpoints",
        "endpoint",
        endpoint,
        lambda ep: (
            ep.get("service_id") == service_id
            and ep.get("interface") == interface
            and region in (ep.get("region"), ep.get("region_id"))
        ),
    )


def endpoint_update(endpoint_id, auth=None, **kwargs):
    """
    Change an endpoint's ``url``, ``enabled`` or region in place (PATCH; its id stays). A
    region given as ``region`` or ``region_id`` is sent as both.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.endpoint_update 1b2c... url='http://cn43.internal:35357/v2.0'
    """
    settings = _settings(auth)
    fields = _fields(kwargs, ("url", "enabled", "region", "region_id"))
    regions = {fields.pop(key) for key in ("region", "region_id") if key in fields}
    if len(regions) > 1:
        raise CommandExecutionError(f"region and region_id differ: {sorted(regions)}")
    if regions:
        fields.update(endpoint_region_fields(regions.pop()))
    updated = _send(settings, "PATCH", "/endpoints/" + endpoint_id, {"endpoint": fields}).json()[
        "endpoint"
    ]
    _cache_put(settings, "endpoints", updated)
    return updated


def endpoint_delete(endpoint_id, auth=None):
    """
    Delete an endpoint.

    CLI Example:

    .. code-block:: bash

        salt cn43 keystone_v3.endpoint_delete 1b2c...
    """
    settings = _settings(auth)
    _send(settings, "DELETE", "/endpoints/" + endpoint_id)
    _cache_drop(settings, "endpoints", lambda i: i.get("id") == endpoint_id)
    return True
