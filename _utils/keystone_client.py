"""
The plumbing under the ``keystone_v3`` execution module: one ``Connection`` per call
(the run's ``__context__``, the resolved settings and the shared OpenStack client), the
prefetch cache, and creates that survive a lost answer.

``keystone_v3`` reaches it as ``__utils__["keystone_client.connect"](context, settings,
client)``, ``client`` being ``name -> __utils__["openstack_client.<name>"]`` (a utility
module gets no ``__utils__`` of its own), so tests can build one without a loader.

Failures
--------
Every failure is a ``CommandExecutionError`` whose message says what failed and where:
Keystone not answering (refused connections, no answer, HTTP 500/502/503/504 to a read)
is retried with a doubling delay, and one deadline bounds the whole call
(``retry_timeout`` plus one ``timeout``, attempts and the reading of answers included);
later calls of the same run fail at once (after refused connections: try once); a
refused admin token or password (HTTP 401) fails at once. A write Keystone may have
received without answering (or answered with HTTP 500) is not sent again (it may have
been applied). Passwords and tokens never appear in messages or logs (requests carrying
one are not logged).

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

Prefetch
--------
With ``cache=True`` (what the states pass) each resource type is listed once per state
run and kept in ``__context__`` (a fresh one per run); writes update that copy, so a whole
catalog converges on one list request per type. Called directly, functions list afresh.
"""

import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

CACHE_KEY = "keystone_v3.cache"


def grants(raw):
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


def by_name(items, name):
    """The one item called ``name``, None, or a failure naming the duplicates."""
    found = [i for i in items if i.get("name") == name]
    if len(found) > 1:
        raise CommandExecutionError(
            "{} objects are named '{}' (ids {}): resolve the duplicates by hand".format(
                len(found), name, ", ".join(sorted(i["id"] for i in found))
            )
        )
    return found[0] if found else None


def fields(kwargs, allowed):
    """The ``allowed`` keys of ``kwargs`` (Salt's ``__pub_*`` dropped); others fail."""
    extra = {k for k in kwargs if not k.startswith("__")} - set(allowed)
    if extra:
        raise CommandExecutionError("unexpected argument(s): {}".format(", ".join(sorted(extra))))
    return {k: v for k, v in kwargs.items() if k in allowed}


class Connection:
    """Keystone as one call of ``keystone_v3`` sees it."""

    def __init__(self, context, settings, client):
        self.context, self.settings, self.client = context, settings, client

    # -- requests ---------------------------------------------------------------------------

    def send(self, method, path, body=None, authenticated=True, secrets=(), expect=None):
        """Send one request to Keystone through the shared client; return the response."""
        kwargs = {"authenticated": authenticated, "secrets": secrets}
        if expect is not None:
            kwargs["expect"] = expect
        return self.client("request")(self.context, self.settings, method, path, body, **kwargs)

    def get_all(self, path, key):
        """GET a collection, following ``links.next`` should Keystone paginate."""
        return self.client("get_all")(self.context, self.settings, path, key)

    # -- the prefetch cache -----------------------------------------------------------------

    def _slot(self, kind):
        return (self.settings["auth_url"], kind)

    def list(self, kind, path, key, cache, shape=None):
        """The collection ``kind`` (``shape``d); with ``cache`` fetched at most once per run."""
        store = self.context.setdefault(CACHE_KEY, {})
        slot = self._slot(kind)
        if cache and slot in store:
            return [dict(item) for item in store[slot]]
        items = self.get_all(path, key)
        if shape is not None:
            items = shape(items)
        if cache:
            store[slot] = [dict(item) for item in items]
        return items

    def cache_put(self, kind, item, id_key="id"):
        store = self.context.get(CACHE_KEY, {})
        slot = self._slot(kind)
        if slot in store:
            store[slot] = [i for i in store[slot] if i.get(id_key) != item.get(id_key)]
            store[slot].append(dict(item))

    def cache_drop(self, kind, match):
        """Forget the cached ``kind`` items ``match`` picks (``kind`` ending in ``:``: of
        every domain)."""
        store = self.context.get(CACHE_KEY, {})
        for slot in list(store):
            if slot[0] != self.settings["auth_url"]:
                continue
            if slot[1] == kind or (kind.endswith(":") and slot[1].startswith(kind)):
                store[slot] = [i for i in store[slot] if not match(i)]

    def patch(self, kind, collection, key, obj_id, body):
        """PATCH ``/<collection>/<obj_id>`` with ``{key: body}``; the object, cached."""
        path = f"/{collection}/{obj_id}"
        secrets = (body["password"],) if body.get("password") else ()
        updated = self.send("PATCH", path, {key: body}, secrets=secrets).json()[key]
        domain = updated.get("domain_id", "default")
        self.cache_put(kind + domain if kind.endswith(":") else kind, updated)
        return updated

    # -- creates that survive a lost answer -------------------------------------------------

    def listed_after(self, exc, what, path, key):
        """The collection, listed afresh after the write that failed with ``exc``."""
        try:
            return self.get_all(path, key)
        except CommandExecutionError as failed:
            raise CommandExecutionError(f"{exc}; looking for {what} failed too: {failed}") from None

    def _lookup(self, exc, what, list_path, collection, sent, match, conflict, verify):
        """
        The object a create that failed with ``exc`` may have made, found afresh (no cache)
        among ``collection`` at ``list_path`` by ``match``; ``exc`` again when the failure
        says nothing was made (or, but with ``conflict``, Keystone refused with HTTP 409).
        """
        unsure = self.client("maybe_applied")(exc)
        if not unsure and not (conflict and self.client("status_of")(exc) == 409):
            raise exc
        listed = self.listed_after(exc, what, list_path, collection)
        found = [item for item in listed if match(item)]
        if not found and not unsure:
            raise exc

        why = None
        if len(found) == 1:
            differ = sorted(k for k, v in sent.items() if k != "password" and found[0].get(k) != v)
            why = (
                ", ".join(differ) + " differ(s) from the request's" if differ else verify(found[0])
            )
        return self.client("taken_after_lost")(exc, "Keystone", what, found, why)

    def create(self, what, kind, list_path, key, sent, match, conflict=False, verify=None):
        """
        POST ``{key: sent}`` to the collection of ``key`` (``service`` -> ``/services``) and
        return what Keystone made. A lost answer (and, with ``conflict``, HTTP 409) is
        followed by a lookup (see "Lost answers" above), never by a second POST.
        """
        collection = key + "s"
        try:
            secrets = (sent["password"],) if sent.get("password") else ()
            created = self.send("POST", "/" + collection, {key: sent}, secrets=secrets)
            created = created.json()[key]
        except CommandExecutionError as exc:
            created = self._lookup(
                exc,
                what,
                list_path,
                collection,
                sent,
                match,
                conflict,
                verify or (lambda found: None),
            )
        self.cache_put(kind, created)
        return created

    def create_named(self, key, sent, verify=None):
        """
        ``create`` for a project or user (``key``): its name is unique in its domain, so
        Keystone refuses a second one with HTTP 409, which is looked into too.
        """
        name, domain = sent["name"], sent["domain_id"]
        return self.create(
            f"{key} '{name}' in domain '{domain}'",
            f"{key}s:{domain}",
            f"/{key}s?domain_id={domain}",
            key,
            sent,
            lambda item: item.get("name") == name,
            conflict=True,
            verify=verify,
        )

    def create_one(self, key, sent, what, same=(), match=None, conflict=False):
        """
        ``create`` in the one collection of ``key`` (a role, service, region, endpoint):
        after a lost answer the object found by ``match``, by default the one whose ``same``
        fields are those sent.
        """
        if match is None:

            def match(item):
                return all(item.get(k) == sent[k] for k in same)

        return self.create(what, key + "s", f"/{key}s", key, sent, match, conflict=conflict)

    def delete(self, collection, obj_id, *drops):
        """
        DELETE ``/<collection>/<obj_id>`` and forget it in the cache: ``drops`` are
        ``(kind, field)``, the cached ``kind`` items whose ``field`` is ``obj_id``.
        """
        self.send("DELETE", f"/{collection}/{obj_id}")
        for kind, field in drops:
            self.cache_drop(kind, lambda item, field=field: item.get(field) == obj_id)
        return True

    def token_check(self, username, password, project, user_domain, project_domain):
        """Ask for a token with a user's password: ``{"valid": ..., "status": ...}``."""
        user = {"name": username, "domain": {"id": user_domain}, "password": str(password)}
        identity = {"methods": ["password"], "password": {"user": user}}
        body = {"auth": {"identity": identity}}
        if project:
            scope = {"project": {"name": project, "domain": {"id": project_domain}}}
            body["auth"]["scope"] = scope
        resp = self.send(
            "POST",
            "/auth/tokens",
            body,
            authenticated=False,
            secrets=(str(password),),
            expect=(201, 401),
        )
        return {"valid": resp.status_code == 201, "status": resp.status_code}

    def grant(self, user_id, project_id, role_id):
        """PUT a grant; a lost answer is checked against the listed grants."""
        grant = {"user_id": user_id, "project_id": project_id, "role_id": role_id}
        try:
            self.send("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
        except CommandExecutionError as exc:
            if not self.client("maybe_applied")(exc):
                raise
            listed = self.listed_after(exc, "the grant", "/role_assignments", "role_assignments")
            if grant not in grants(listed):
                raise CommandExecutionError(
                    f"{exc}; Keystone holds no such grant now, so it was not applied: apply "
                    "again to grant it"
                ) from None
            log.warning("keystone_v3: %s; the grant is there: taken as made", exc)
        self.cache_drop("role_assignments", lambda a: a == grant)
        store = self.context.get(CACHE_KEY, {})
        slot = self._slot("role_assignments")
        if slot in store:
            store[slot].append(grant)
        return True


def connect(context, settings, client):
    """The ``Connection`` of one ``keystone_v3`` call."""
    return Connection(context, settings, client)
