"""
Keystone v3 endpoints: one per interface (public, internal, admin) per region per service.

.. code-block:: yaml

    keystone-endpoint-nova-public-present:
      keystone_endpoint.present:
        - service: nova
        - interface: public
        - url: http://cn43.internal:8774/v2/%(tenant_id)s

An endpoint is identified by (service, interface, region): a changed URL is updated in
place (PATCH, the id stays) and one interface never touches another's endpoint. URLs are
stored as given (``%(tenant_id)s`` stays literal). A missing region is created.
Credentials: see the ``keystone_v3`` execution module.

Regions: the default is ``regionOne``, the region the runbook's ``keystone endpoint-create``
gave every endpoint. An endpoint is in a region when its ``region`` (Icehouse, v3.2) or
``region_id`` (Juno and later) names it and neither names another; it is right only when
both name it, else both are set (PATCH), so an Icehouse v2.0 catalog shows the region too.
"""

import functools
import logging

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "keystone_endpoint"

INTERFACES = ("public", "internal", "admin")
DEFAULT_REGION = "regionOne"
REGION_KEYS = ("region", "region_id")


def __virtual__():
    if "keystone_v3.endpoint_list" in __salt__:
        return __virtualname__
    return (False, "keystone_endpoint: the keystone_v3 execution module is not available")


def _service(service, service_type, auth):
    """The one service called ``service`` (of ``service_type``); None when there is none."""
    services = __salt__["keystone_v3.service_list"](auth=auth, cache=True)
    found = [
        s
        for s in services
        if s.get("name") == service and (service_type is None or s.get("type") == service_type)
    ]
    if len({s.get("type") for s in found}) > 1:
        raise CommandExecutionError(
            "{} services are named '{}' ({}): give service_type".format(
                len(found), service, ", ".join("{}: {}".format(s["type"], s["id"]) for s in found)
            )
        )
    if len(found) > 1:
        endpoints = __salt__["keystone_v3.endpoint_list"](auth=auth, cache=True)
        raise CommandExecutionError(
            __utils__["state_return.duplicate_services"](service, found, endpoints)
        )
    return found[0] if found else None


def _in_region(endpoint, region):
    """Whether ``endpoint``'s ``region`` or ``region_id`` names ``region`` and none another."""
    return {endpoint.get(key) for key in REGION_KEYS} - {None, ""} == {region}


def _pick(endpoints, service_id, interface, region, url=None):
    """The endpoint to converge for (service, interface, region), and any duplicates.

    One already at ``url`` wins, then the lowest id, so every run picks the same one.
    Endpoints of other interfaces or regions are never candidates.
    """
    matches = sorted(
        (
            ep
            for ep in endpoints
            if ep.get("service_id") == service_id
            and ep.get("interface") == interface
            and _in_region(ep, region)
        ),
        key=lambda ep: (ep.get("url") != url, ep.get("id")),
    )
    if not matches:
        return None, []
    return matches[0], matches[1:]


def _validate(interface, url=None, check_url=True):
    if interface not in INTERFACES:
        return "interface must be one of {}, not {!r}".format(", ".join(INTERFACES), interface)
    if check_url and (not url or not isinstance(url, str)):
        return "url must be a non-empty string"
    return None


def _create(ret, label, service_id, interface, url, region, enabled, auth):
    new = {"url": url, "enabled": bool(enabled)}

    def create():
        made = dict(new)
        regions = __salt__["keystone_v3.region_list"](auth=auth, cache=True)
        if not any(r.get("id") == region for r in regions):
            try:
                __salt__["keystone_v3.region_create"](region, auth=auth)
                made["region_created"] = True
            except CommandExecutionError as exc:
                # Keystone on MariaDB compares ids without case: a "RegionOne" made
                # earlier (e.g. by keystone-manage bootstrap) is this region there.
                if "HTTP 409" not in str(exc) or not any(
                    str(r.get("id", "")).lower() == region.lower() for r in regions
                ):
                    raise
        created = __salt__["keystone_v3.endpoint_create"](
            service_id, interface, url, region=region, enabled=enabled, auth=auth
        )
        made["id"] = created["id"]
        return made

    return __utils__["state_return.create"](ret, f"The {label}", new, create, __opts__["test"])


def _update(ret, label, current, duplicates, url, region, enabled, auth):
    extra = ""
    if duplicates:
        ids = ", ".join(d["id"] for d in duplicates)
        extra = f" ({len(duplicates)} duplicate(s) left alone: {ids})"
    # PATCH the one endpoint: its id stays, and no other interface is touched.
    return __utils__["state_return.update"](
        ret,
        f"The {label}",
        current,
        {"url": url, "enabled": bool(enabled), **dict.fromkeys(REGION_KEYS, region)},
        functools.partial(__salt__["keystone_v3.endpoint_update"], auth=auth),
        __opts__["test"],
        note=extra,
        in_place=True,
        unapplied=lambda left: f"Keystone did not apply the {label} update",
    )


def present(
    name,
    service,
    url,
    interface="public",
    region=DEFAULT_REGION,
    service_type=None,
    enabled=True,
    auth=None,
):
    """
    Ensure ``service`` has one ``interface`` endpoint in ``region`` with this URL.

    name
        State name (free text).
    service
        Service name.
    url
        Endpoint URL, stored literally.
    interface
        ``public`` (default), ``internal`` or ``admin``.
    region
        Region name (default ``regionOne``); created when missing.
    service_type
        Service type, needed only when several services share the name.
    enabled
        Whether the endpoint is enabled (default True).
    auth
        Keystone credentials overriding ``keystone:auth``.
    """
    ret = __utils__["state_return.start"](name)
    problem = _validate(interface, url)
    if problem:
        return __utils__["state_return.fail"](ret, problem)
    label = f"{interface} endpoint of service '{service}' in {region}"
    try:
        svc = _service(service, service_type, auth)
        if svc is None:
            if __opts__["test"]:
                ret.update(
                    result=None,
                    changes={"old": None, "new": {"url": url, "enabled": bool(enabled)}},
                    comment=f"The {label} would be created once service '{service}' exists",
                )
            else:
                ret.update(
                    result=False,
                    comment=f"Cannot manage the {label}: service '{service}' does not exist",
                )
            return ret
        endpoints = __salt__["keystone_v3.endpoint_list"](auth=auth, cache=True)
        current, duplicates = _pick(endpoints, svc["id"], interface, region, url)
        if current is None:
            return _create(ret, label, svc["id"], interface, url, region, enabled, auth)
        return _update(ret, label, current, duplicates, url, region, enabled, auth)
    except CommandExecutionError as exc:
        return __utils__["state_return.error"](ret, exc, __opts__["test"], label, "created")
    return ret


def absent(name, service, interface="public", region=DEFAULT_REGION, service_type=None, auth=None):
    """
    Ensure ``service`` has no ``interface`` endpoint in ``region``.

    Arguments as for :func:`present`.
    """
    ret = __utils__["state_return.start"](name)
    problem = _validate(interface, check_url=False)
    if problem:
        return __utils__["state_return.fail"](ret, problem)
    label = f"{interface} endpoint of service '{service}' in {region}"

    def get():
        svc = _service(service, service_type, auth)
        if svc is None:
            return []
        endpoints = __salt__["keystone_v3.endpoint_list"](auth=auth, cache=True)
        first, duplicates = _pick(endpoints, svc["id"], interface, region)
        return [first, *duplicates] if first else []

    return __utils__["state_return.absent"](
        ret,
        f"The {label}",
        get,
        functools.partial(__salt__["keystone_v3.endpoint_delete"], auth=auth),
        __opts__["test"],
        fields=("id", "url"),
    )
