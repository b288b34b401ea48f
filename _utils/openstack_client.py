"""
The one OpenStack HTTP client of the execution modules (``keystone_v3``, ``glance_image``,
``nova_compute``): settings, a keystoneauth1 session per credentials, bounded retry while
a service is not up yet, and messages that never carry a secret.

Execution modules reach it as ``__utils__["openstack_client.<function>"]`` and pass their
``__context__`` (a fresh dict per state run), where the sessions and the "this service did
not answer" marks of the run are kept. The functions need no loader dunders, so tests can
import this file directly.

Settings
--------
``resolve(config, override)`` merges a pillar/config block (e.g. ``keystone:auth``) and an
explicit ``auth`` dict key by key over the defaults::

    auth_url: http://cn43.internal:35357/v3   # Keystone v3, where the token comes from
    token: <ADMIN_TOKEN>                       # the bootstrap token (Keystone calls only) ...
    username: admin                            # ... or a user's password, scoped to a project
    password: <ADMIN_PASS>
    project_name: admin
    user_domain_id: default
    project_domain_id: default
    region_name: null      # pick endpoints of this region from the catalog
    interface: public      # which endpoint of a service (public, internal, admin)
    retry_timeout: 60      # seconds to wait for a service that is not up yet, attempts included
    timeout: 10            # seconds for one request
    verify: true           # TLS verification, or a CA bundle path

Requests
--------
``request(context, settings, method, path, service_type=None, ...)`` sends one request.
Without ``service_type`` the path is relative to ``auth_url`` (Keystone itself). With it,
the path is relative to that service's endpoint in the token's catalog; Keystone fills the
``%(tenant_id)s`` of a compute URL with the token's project. Only a password-scoped token
carries a catalog: the admin token has none.

Refused connections, timeouts of reads (GET) and HTTP 502/503/504 are retried with a
doubling delay; ``retry_timeout`` bounds the whole call: no attempt starts after it, so a
call ends within ``retry_timeout`` plus one request's ``timeout``. Once a run has waited the
whole budget for a service, its later calls there try once. A write whose answer timed out
is not sent again (it may have been applied). HTTP 401 on a password-scoped session makes
keystoneauth fetch a new token once (an expired token mid-run); a service that refuses
that one too gets one more request with a token from the next second (Keystone revokes
the tokens of the second a password changed), then it fails as ``OpenStackAuthError``.
Every error is a ``CommandExecutionError`` whose message names the service, the URL and
what failed; passwords, tokens and the ``secrets`` a call names are replaced by ``***``,
and requests that carry one are not logged.
"""

import hashlib
import logging
import time
import urllib.parse

from salt.exceptions import CommandExecutionError

try:
    import requests
    from keystoneauth1 import exceptions as ksa_exc
    from keystoneauth1 import session as ksa_session
    from keystoneauth1 import token_endpoint
    from keystoneauth1.identity import v3 as ksa_v3

    HAS_KSA = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_KSA = False

log = logging.getLogger(__name__)

DEFAULT_DOMAIN = "default"
DEFAULTS = {
    "auth_url": "http://cn43.internal:35357/v3",
    "user_domain_id": DEFAULT_DOMAIN,
    "project_domain_id": DEFAULT_DOMAIN,
    "interface": "public",
    "retry_timeout": 60,
    "timeout": 10,
    "verify": True,
}
KEYS = frozenset(
    (
        "auth_url",
        "token",
        "username",
        "password",
        "project_name",
        "project_id",
        "user_domain_id",
        "project_domain_id",
        "region_name",
        "interface",
        "retry_timeout",
        "timeout",
        "verify",
    )
)
SECRET_KEYS = ("token", "password")
RETRY_STATUS = (502, 503, 504)
FIRST_DELAY = 0.5
MAX_DELAY = 10.0
# What a service type is called in messages.
SERVICE_NAMES = {None: "Keystone", "identity": "Keystone", "image": "Glance", "compute": "Nova"}

SESSION_KEY = "openstack_client.sessions"
DOWN_KEY = "openstack_client.unreachable"


# -- errors ---------------------------------------------------------------------------------------


class OpenStackError(CommandExecutionError):
    """A request failed; the message is safe to show (no secrets)."""


class OpenStackUnavailable(OpenStackError):
    """The service did not answer within the retry budget."""


class OpenStackAuthError(OpenStackError):
    """Keystone refused our credentials (HTTP 401)."""


def available():
    """True when keystoneauth1 (and so requests) can be imported."""
    return HAS_KSA


def unanswered(exc):
    """
    True when ``exc`` says a service did not answer (OpenStackUnavailable), not that it
    refused or failed. By class name: a state and the execution module it calls may hold
    this module from different loaders, whose classes are not the same objects.
    """
    return any(cls.__name__ == OpenStackUnavailable.__name__ for cls in type(exc).__mro__)


def missing_library_reason(module):
    """The ``__virtual__`` answer of a module that needs this client."""
    return f"{module}: the keystoneauth1 library is not installed (pip install keystoneauth1)"


# -- settings -------------------------------------------------------------------------------------


def resolve(config=None, override=None, need_credentials=True, where="keystone:auth"):
    """
    Merge ``DEFAULTS``, the ``config`` block read from pillar/config at ``where`` and the
    explicit ``override``, key by key (a None value in ``override`` keeps the configured
    one). Raises ``OpenStackError`` when the result is unusable: unknown keys, non-numeric
    timeouts, or no credentials unless ``need_credentials`` is False.
    """
    settings = dict(DEFAULTS)
    for source in (config, override):
        if not source:
            continue
        if not isinstance(source, dict):
            raise OpenStackError(f"{where} settings must be a mapping")
        unknown = set(source) - KEYS
        if unknown:
            raise OpenStackError(
                "unknown {} setting(s): {}".format(where.split(":")[0], ", ".join(sorted(unknown)))
            )
        settings.update({k: v for k, v in source.items() if v is not None})
    settings["auth_url"] = str(settings["auth_url"]).rstrip("/")
    try:
        settings["retry_timeout"] = float(settings["retry_timeout"])
        settings["timeout"] = float(settings["timeout"])
    except (TypeError, ValueError) as exc:
        raise OpenStackError(
            f"{where.split(':')[0]} auth: retry_timeout and timeout must be numbers"
        ) from exc
    has_password = settings.get("username") and settings.get("password")
    if need_credentials and not settings.get("token") and not has_password:
        raise OpenStackError(
            f"no Keystone credentials: set {where}:token (the admin token) or "
            f"{where}:username and {where}:password in pillar or minion config, "
            "or pass auth={...}"
        )
    return settings


def describe(settings):
    """Name the credentials in ``settings`` without revealing them."""
    if settings.get("token"):
        return "the admin token"
    scope = settings.get("project_name") or settings.get("project_id")
    where = f" on project '{scope}'" if scope else " (unscoped)"
    return "password auth for user '{}'{}".format(settings.get("username"), where)


def backoff_delays(total, first=FIRST_DELAY, cap=MAX_DELAY):
    """The sleeps between attempts: doubling from ``first``, capped, summing to <= ``total``."""
    delays = []
    delay, spent = first, 0.0
    while total > 0 and spent + delay <= total:
        delays.append(delay)
        spent += delay
        delay = min(delay * 2, cap)
    return delays


def scrub(text, secrets):
    """Replace every secret value (strings of 4 characters or more) in ``text`` by ``***``."""
    text = str(text)
    for secret in secrets:
        if secret and isinstance(secret, str) and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def secrets_of(settings, *extra):
    """The secret values of ``settings`` plus ``extra``: what messages must not show."""
    return [settings.get(k) for k in SECRET_KEYS] + list(extra)


# -- sessions -------------------------------------------------------------------------------------


def session(context, settings, authenticated=True):
    """One keystoneauth1 session per credentials, kept in ``context`` for the run."""
    sessions = context.setdefault(SESSION_KEY, {})
    if authenticated:
        key = hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()
    else:
        key = "anonymous:{}:{}:{}".format(
            settings["auth_url"], settings["verify"], settings["timeout"]
        )
    if key not in sessions:
        if not authenticated:
            plugin = None
        elif settings.get("token"):
            plugin = token_endpoint.Token(settings["auth_url"], settings["token"])
        else:
            plugin = ksa_v3.Password(
                auth_url=settings["auth_url"],
                username=settings["username"],
                password=settings["password"],
                user_domain_id=settings["user_domain_id"],
                project_name=settings.get("project_name"),
                project_id=settings.get("project_id"),
                project_domain_id=settings["project_domain_id"],
            )
        sessions[key] = ksa_session.Session(
            auth=plugin, verify=settings["verify"], timeout=settings["timeout"]
        )
    return sessions[key]


def _auth_problem(exc, settings, hide):
    """Turn a failure of the password plugin's own token request into our error."""
    base = settings["auth_url"]
    if isinstance(exc, ksa_exc.Unauthorized):
        return OpenStackAuthError(f"Keystone at {base} refused {describe(settings)} (HTTP 401)")
    if isinstance(exc, ksa_exc.EndpointNotFound):
        return OpenStackError(
            f"the Keystone catalog at {base} has no matching endpoint: {scrub(exc, hide)}"
        )
    return OpenStackError(
        f"authenticating to Keystone at {base} with {describe(settings)} failed: "
        f"HTTP {exc.http_status}"
    )


def endpoint(context, settings, service_type, interface=None):
    """
    The base URL of ``service_type`` (``image``, ``compute`` ...) in the catalog of the
    token ``settings`` give (``%(tenant_id)s`` already filled by Keystone).
    """
    hide = secrets_of(settings)
    if settings.get("token"):
        raise OpenStackError(
            f"finding the {service_type} endpoint needs password auth (a project-scoped "
            "token has a catalog, the admin token has none)"
        )
    sess = session(context, settings)
    deadline = time.monotonic() + settings["retry_timeout"]
    delays = iter(backoff_delays(settings["retry_timeout"]))

    def _next_delay():
        delay = next(delays, None)
        return None if delay is None or time.monotonic() + delay > deadline else delay

    while True:
        try:
            url = sess.get_endpoint(
                service_type=service_type,
                interface=interface or settings["interface"],
                region_name=settings.get("region_name"),
            )
            break
        except (ksa_exc.ConnectFailure, ksa_exc.ConnectTimeout) as exc:
            delay = _next_delay()
            if delay is None:
                raise OpenStackUnavailable(
                    f"Keystone at {settings['auth_url']} is not answering "
                    f"({type(exc).__name__}) while looking up the {service_type} endpoint"
                ) from None
            time.sleep(delay)
        except ksa_exc.ClientException as exc:
            if isinstance(exc, ksa_exc.HttpError) and exc.http_status in RETRY_STATUS:
                delay = _next_delay()
                if delay is not None:
                    time.sleep(delay)
                    continue
            raise _auth_problem(exc, settings, hide) from None
    if not url:
        raise OpenStackError(
            "the Keystone catalog at {} has no {} endpoint for {} (interface {}{})".format(
                settings["auth_url"],
                service_type,
                describe(settings),
                interface or settings["interface"],
                ", region " + settings["region_name"] if settings.get("region_name") else "",
            )
        )
    return url.rstrip("/")


# -- requests -------------------------------------------------------------------------------------


def error_message(resp):
    """The readable part of an OpenStack error answer (Keystone, Glance and Nova shapes)."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if isinstance(body.get("error"), dict) and body["error"].get("message"):
            return str(body["error"]["message"])
        for value in body.values():
            # Nova: {"badRequest": {"message": ..., "code": 400}}
            if isinstance(value, dict) and value.get("message"):
                return str(value["message"])
    return (resp.text or resp.reason or "").strip()[:200]


def _attempt(sess, settings, label, base, method, url, kwargs, hide):
    """One try: ``(response, None)``, or ``(None, problem)`` when worth retrying."""
    try:
        resp = sess.request(url, method, raise_exc=False, connect_retries=0, **kwargs)
    except (ksa_exc.ConnectFailure, ksa_exc.ConnectTimeout) as exc:
        read_timeout = isinstance(exc.__context__, requests.exceptions.ReadTimeout)
        if method != "GET" and read_timeout:
            raise OpenStackError(
                f"{method} {url} on {label} at {base}: no answer within "
                f"{settings['timeout']:g}s; it may or may not have been applied"
            ) from None
        if "refused" in str(exc).lower():
            return None, "connection refused"
        return None, f"cannot connect ({type(exc).__name__})"
    except ksa_exc.HttpError as exc:
        # From the password plugin's own token request.
        if exc.http_status in RETRY_STATUS:
            return None, f"HTTP {exc.http_status}"
        raise _auth_problem(exc, settings, hide) from None
    except ksa_exc.ClientException as exc:
        raise OpenStackError(
            f"{method} {url} on {label} at {base} failed: {scrub(exc, hide)}"
        ) from None
    if resp.status_code in RETRY_STATUS:
        return None, f"HTTP {resp.status_code}"
    return resp, None


def _rewinder(data):
    """
    What puts a request body back where it started before it is sent again: a no-op for
    no body, bytes or str; ``seek`` to the start position for a file (an image upload);
    None for a stream that cannot go back, which is then never sent twice.
    """
    if data is None or isinstance(data, (bytes, str)):
        return lambda: None
    if not callable(getattr(data, "seek", None)) or not callable(getattr(data, "tell", None)):
        return None
    start = data.tell()
    return lambda: data.seek(start)


def _after_revocation(sess, settings, label, base, method, url, kwargs, hide, rewind):
    """
    The one more try of a request a service refused with HTTP 401 after keystoneauth's own
    immediate re-authentication.

    Keystone counts every token issued in the same second as a revocation event (a password
    change, a role taken away) as revoked, so a token fetched right after the catalog reset
    a password is refused by Glance or Nova, and so is the one keystoneauth fetches at once.
    A token from the next second is not.
    """
    time.sleep(1.05 - time.time() % 1)
    rewind()
    sess.invalidate()
    kwargs = dict(kwargs, allow_reauth=False)  # the token it gets now is the new one
    log.info("openstack_client: %s at %s refused a new token, trying once more", label, base)
    resp, problem = _attempt(sess, settings, label, base, method, url, kwargs, hide)
    if resp is None:
        raise OpenStackUnavailable(f"{label} at {base} is not answering: {problem}")
    return resp


def request(
    context,
    settings,
    method,
    path,
    body=None,
    service_type=None,
    interface=None,
    authenticated=True,
    secrets=(),
    expect=(200, 201, 202, 204),
    data=None,
    headers=None,
):
    """
    Send one request, retrying while the service is not up; return the response.

    ``body`` is sent as JSON, ``data`` as it is (bytes or a file: an image upload).
    ``secrets`` are values the request carries (passwords): the request is then not
    logged and the values are scrubbed from any message; requests with ``data`` are
    never logged either. A status outside ``expect`` raises ``OpenStackError``.
    """
    label = SERVICE_NAMES.get(service_type, service_type)
    hide = secrets_of(settings, *secrets)
    if service_type is None:
        base = settings["auth_url"]
    else:
        base = endpoint(context, settings, service_type, interface)
    url = base + path
    down = context.setdefault(DOWN_KEY, set())
    known_down = base in down
    budget = 0.0 if known_down else settings["retry_timeout"]
    started = time.monotonic()
    deadline = started + budget
    rewind = _rewinder(data)
    # A body that cannot be sent again is sent once.
    delays = iter(backoff_delays(budget) if rewind else ())
    sess = session(context, settings, authenticated)
    kwargs = {
        "json": body,
        "data": data,
        "headers": headers,
        "authenticated": authenticated,
        "log": not secrets and data is None,
        # keystoneauth would send a half-read upload again: this function rewinds it.
        "allow_reauth": data is None or isinstance(data, (bytes, str)),
    }
    attempts = 0
    while True:
        attempts += 1
        if attempts > 1:
            rewind()
        resp, problem = _attempt(sess, settings, label, base, method, url, kwargs, hide)
        if resp is not None:
            break
        delay = next(delays, None)
        # retry_timeout bounds the call: no attempt starts after the deadline.
        if delay is None or time.monotonic() + delay > deadline:
            down.add(base)
            if known_down:
                raise OpenStackUnavailable(
                    f"{label} at {base} is not answering: {problem} "
                    "(tried once: it already failed to answer earlier in this run)"
                )
            raise OpenStackUnavailable(
                f"{label} at {base} is not answering: {problem} after {attempts} attempt(s) "
                f"in {time.monotonic() - started:.1f}s "
                f"(retry_timeout={settings['retry_timeout']:g}s)"
            )
        log.info(
            "openstack_client: %s at %s not ready (%s), retry in %.1fs", label, base, problem, delay
        )
        time.sleep(delay)

    down.discard(base)
    renewable = authenticated and not settings.get("token") and rewind is not None
    if resp.status_code == 401 and service_type is not None and renewable:
        # (the admin token cannot be renewed)
        resp = _after_revocation(sess, settings, label, base, method, url, kwargs, hide, rewind)
    if resp.status_code in expect:
        return resp
    if resp.status_code == 401 and authenticated:
        cause = ""
        if service_type is not None:
            cause = (
                f": Keystone gave the token, {label} did not accept it "
                "(check its [keystone_authtoken] settings)"
            )
        raise OpenStackAuthError(
            f"{label} at {base} refused {describe(settings)} (HTTP 401) for {method} {path}" + cause
        )
    message = scrub(error_message(resp), hide)
    raise OpenStackError(
        f"{method} {path} on {label} at {base} failed: HTTP {resp.status_code}: {message}"
    )


def get_all(context, settings, path, key, service_type=None):
    """GET a collection, following ``links.next`` (Keystone) or ``next`` (Glance)."""
    items = []
    if service_type is None:
        base = settings["auth_url"]
    else:
        base = endpoint(context, settings, service_type)
    prefix = urllib.parse.urlsplit(base).path.rstrip("/")
    for _page in range(1000):
        body = request(context, settings, "GET", path, service_type=service_type).json()
        items.extend(body.get(key, []))
        if body.get("truncated"):
            log.warning(
                "openstack_client: the %s list was truncated (Keystone's [DEFAULT] "
                "list_limit): objects past the limit are invisible to the states",
                key,
            )
        nxt = (body.get("links") or {}).get("next") or body.get("next") or ""
        nxt = urllib.parse.urlsplit(nxt)
        if not nxt.path.startswith(prefix + "/"):
            break
        path = nxt.path[len(prefix) :] + ("?" + nxt.query if nxt.query else "")
    return items
