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

    auth_url: http://<head>:35357/v3   # Keystone v3, where the token comes from (required:
                                        # the site's, from the states; no default)
    token: <ADMIN_TOKEN>                       # the bootstrap token (Keystone calls only) ...
    username: admin                            # ... or a user's password, scoped to a project
    password: <ADMIN_PASS>
    project_name: admin
    user_domain_id: default
    project_domain_id: default
    region_name: null      # pick endpoints of this region from the catalog
    interface: public      # which endpoint of a service (public, internal, admin)
    retry_timeout: 60      # seconds to wait for a service that is not up yet, attempts included
                           # (0 in a dry run: ``resolve(..., dry_run=True)``)
    timeout: 10            # seconds for one request
    verify: true           # TLS verification, or a CA bundle path

Requests
--------
``request(context, settings, method, path, service_type=None, ...)`` sends one request.
Without ``service_type`` the path is relative to ``auth_url`` (Keystone itself). With it,
the path is relative to that service's endpoint in the token's catalog; Keystone fills the
``%(tenant_id)s`` of a compute URL with the token's project. Only a password-scoped token
carries a catalog: the admin token has none.

Every call has one deadline, the endpoint lookup and the reading of answers included: no
attempt starts later than ``retry_timeout`` after the call began, each attempt ends within one
``timeout`` (a timer shuts its connection then, so an answer that trickles in byte by byte
is cut too, not only a silent one), and so a call ends within ``retry_timeout`` plus one
``timeout``. Refused connections, reads (GET, HEAD) without an answer and HTTP 500/502/503/504
to a read are retried with a doubling delay within it. A write is sent again only when it
cannot have arrived (no connection) or after HTTP 503; one the service may have received
(no answer, its answer cut, HTTP 500/502/504) is not (it may have been applied): it fails as
``OpenStackUnsure`` (``maybe_applied(exc)`` says so), and the caller looks the object up
before creating it again (``keystone_v3`` does for its creates).

A service that fails a whole call (its retry budget used up) is marked down in the run's
``__context__``; its later calls fail at once without asking it, saying what happened (no
answer, HTTP 500 ...), except after a refused connection: that gets one try, which costs
nothing. A write without an answer does not mark it: the lookup that follows has a whole
budget to find out what happened (a Keystone that died after committing the write and
comes back). Keystone not answering an endpoint lookup marks Keystone, not the service
looked up.

HTTP 401 on a password-scoped session makes
keystoneauth fetch a new token once (an expired token mid-run); a service that refuses
that one too gets one more request with a token from the next second (Keystone revokes
the tokens of the second a password changed), then it fails as ``OpenStackAuthError``.
Every error is a ``CommandExecutionError`` whose message names the service, the URL and
what failed (a refusal's ``status`` is its HTTP status: ``status_of``); passwords, tokens
and the ``secrets`` a call names are replaced by ``***``, and requests that carry one are
not logged.
"""

import hashlib
import html
import logging
import re
import socket
import threading
import time
import urllib.parse

from salt.exceptions import CommandExecutionError

try:
    import requests
    import urllib3
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
# Answers worth asking again: any of them to a read (and to a token request), only 503 to a
# write. 503 says the request was not taken up; 500 (the service failed while handling it)
# and a gateway's 502/504 may come after the write was applied.
RETRY_STATUS = (500, 502, 503, 504)
RETRY_STATUS_WRITE = (503,)
SAFE_METHODS = ("GET", "HEAD")
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
    """
    The service did not answer within the retry budget. ``service``: which one (Keystone,
    Glance, Nova), as a state's dry run names it (``_utils/state_return.py``: "would be
    created once <service> is up").
    """

    def __init__(self, message, service="Keystone"):
        super().__init__(message)
        self.service = service


class OpenStackAuthError(OpenStackError):
    """Keystone refused our credentials (HTTP 401)."""


class OpenStackUnsure(OpenStackError):
    """
    A write the service may have received got no usable answer (none, a cut one, HTTP
    500/502/504): it may or may not have been applied, and was not sent again.
    """


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


def maybe_applied(exc):
    """
    True when ``exc`` says a write may or may not have been applied (``OpenStackUnsure``):
    look the object up before creating it again. By class name, as ``unanswered``.
    """
    return any(cls.__name__ == OpenStackUnsure.__name__ for cls in type(exc).__mro__)


def taken_after_lost(exc, service, what, found, why=None, key="id"):
    """
    The one object of ``found`` (listed afresh after a create that failed with ``exc``)
    that the create made, as a caller of ``maybe_applied`` takes it; a ``OpenStackError``
    when there is none (it was not applied), more than one, or ``why`` (the caller's
    reason, for a single one found) says it is not the one sent. ``service`` names the
    service, ``what`` the object, in messages. (The caller works ``why`` out: a callback
    would run in this loader's context, without the module's dunders.)
    """
    if not found:
        raise OpenStackError(
            f"{exc}; {service} holds no {what} now, so it was not applied: apply again to create it"
        )
    ids = ", ".join(sorted(str(item.get(key)) for item in found))
    if len(found) > 1:
        raise OpenStackError(
            f"{exc}; {service} now holds {len(found)} objects matching {what} (ids {ids}): "
            "delete the extra ones, then apply again"
        )
    if why:
        raise OpenStackError(
            f"{exc}; {service} holds {what} (id {ids}), but its {why}: not taken as the one "
            "this call created (apply the state again to converge it)"
        )
    log.warning("%s; found %s as id %s: taken as the one created", exc, what, ids)
    return found[0]


def status_of(exc):
    """The HTTP status of the answer ``exc`` reports a refusal of (409 ...), or None."""
    return getattr(exc, "status", None)


def missing_library_reason(module):
    """The ``__virtual__`` answer of a module that needs this client."""
    return f"{module}: the keystoneauth1 library is not installed (pip install keystoneauth1)"


def virtual(module):
    """``__virtual__`` of an execution module on this client: its name, or why not."""
    return module if HAS_KSA else (False, missing_library_reason(module))


# -- settings -------------------------------------------------------------------------------------


def resolve(
    config=None, override=None, need_credentials=True, where="keystone:auth", dry_run=False
):
    """
    Merge ``DEFAULTS``, the ``config`` block read from pillar/config at ``where`` and the
    explicit ``override``, key by key (a None value in ``override`` keeps the configured
    one). With ``dry_run`` (a ``test=True`` run) ``retry_timeout`` is 0: a dry run starts
    no service, so waiting for one cannot help; it asks once, and a service that does not
    answer is "not up yet" (``OpenStackUnavailable``). Raises ``OpenStackError`` when the
    result is unusable: unknown keys, no
    ``auth_url`` (no site's address is built in), non-numeric timeouts, or no credentials
    unless ``need_credentials`` is False.
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
    if not settings.get("auth_url"):
        raise OpenStackError(
            f"no Keystone URL: set {where}:auth_url in pillar or minion config "
            "(e.g. http://<head>:35357/v3), or pass auth={'auth_url': ...}"
        )
    settings["auth_url"] = str(settings["auth_url"]).rstrip("/")
    if dry_run:
        settings["retry_timeout"] = 0.0
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


# -- deadlines ------------------------------------------------------------------------------------
#
# requests' timeout bounds each read of the socket, not a request: a service that sends one
# byte every few seconds keeps a request alive for ever. Every attempt therefore runs under a
# cutoff: at its time a timer thread shuts the sockets the attempt uses (the blocked read
# returns at once), and a connection the attempt opens or uses after that fails at once.
# The connections of the client's sessions tell the cutoff of their thread which socket they
# use (``_Watched`` below), so the token request keystoneauth makes on its own is cut too.

_LOCAL = threading.local()


class _Cutoff:
    """The end of one attempt: at ``at`` (time.monotonic) its connections are shut."""

    def __init__(self, at):
        self.start = time.monotonic()
        self.at = at
        self.fired = False  # the attempt was cut
        self.sent = False  # a request had gone on an open connection
        self.answered = False  # an answer (status line and headers) had arrived
        self._conns = []
        self._lock = threading.Lock()
        self._timer = None

    def __enter__(self):
        _LOCAL.cutoff = self
        left = self.at - time.monotonic()
        if left <= 0:
            self.fired = True
        else:
            self._timer = threading.Timer(left, self.fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc_info):
        _LOCAL.cutoff = None
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:  # a fire() under way ends before the connections go back to use
            self._conns = None

    def fire(self):
        with self._lock:
            if self._conns is None:
                return
            self.fired = True
            for conn in self._conns:
                sock = getattr(conn, "sock", None)
                if sock is not None:
                    try:
                        # socket.socket's own shutdown, also under TLS: it leaves the
                        # SSL object the reading thread holds alone.
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
                    except OSError:
                        pass

    def seconds(self):
        """The time the attempt had."""
        return max(self.at - self.start, 0.0)

    def watch(self, conn):
        with self._lock:
            if self.fired:
                raise TimeoutError("the call's deadline has passed")
            if self._conns is not None and conn not in self._conns:
                self._conns.append(conn)


def _watch(conn):
    cutoff = getattr(_LOCAL, "cutoff", None)
    if cutoff is not None:
        cutoff.watch(conn)
    return cutoff


if HAS_KSA:

    class _Watched:
        """What an urllib3 connection of the client's sessions adds: it obeys the cutoff."""

        def connect(self):
            cutoff = _watch(self)
            if cutoff is not None and isinstance(self.timeout, (int, float)):
                self.timeout = max(min(self.timeout, cutoff.at - time.monotonic()), 0.001)
            return super().connect()

        def request(self, *args, **kwargs):
            _watch(self)
            return super().request(*args, **kwargs)

        def request_chunked(self, *args, **kwargs):  # urllib3 1.26 (Salt 3006)
            _watch(self)
            return super().request_chunked(*args, **kwargs)

        def getresponse(self, *args, **kwargs):
            cutoff = _watch(self)
            if cutoff is not None:
                cutoff.sent = True
            resp = super().getresponse(*args, **kwargs)
            if cutoff is not None:
                cutoff.answered = True
            return resp

    class _WatchedHTTP(_Watched, urllib3.connection.HTTPConnection):
        pass

    class _WatchedHTTPS(_Watched, urllib3.connection.HTTPSConnection):
        pass

    class _HTTPPool(urllib3.HTTPConnectionPool):
        ConnectionCls = _WatchedHTTP

    class _HTTPSPool(urllib3.HTTPSConnectionPool):
        ConnectionCls = _WatchedHTTPS

    class _Adapter(ksa_session.TCPKeepAliveAdapter):
        """keystoneauth's adapter (TCP keep-alive) with connections that obey the cutoff."""

        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _Clock:
    """
    The one deadline of a call: no attempt starts after ``retry_until`` (``retry_timeout``
    from the start, or the start itself without retries), and everything, endpoint lookup
    and the reading of answers included, ends by ``end`` (one ``timeout`` after that).
    """

    def __init__(self, settings, retry=True):
        self.timeout = settings["timeout"]
        self.started = time.monotonic()
        self.retry_until = self.started + (settings["retry_timeout"] if retry else 0.0)
        self.end = self.started + max(settings["retry_timeout"], 0.0) + self.timeout
        self._delays = iter(backoff_delays(settings["retry_timeout"]) if retry else ())

    def no_retry(self):
        self.retry_until = self.started
        self._delays = iter(())

    def cutoff(self):
        """The cutoff of an attempt starting now: one ``timeout``, and not past the end."""
        return _Cutoff(min(time.monotonic() + self.timeout, self.end))

    def next_delay(self):
        """The sleep before the next attempt, or None when no attempt may start any more."""
        delay = next(self._delays, None)
        if delay is None or time.monotonic() + delay > self.retry_until:
            return None
        return delay

    def elapsed(self):
        return time.monotonic() - self.started


class _Problem:
    """
    Why an attempt got no usable answer. ``base``: the service at fault (Keystone's URL
    when its token request failed). ``resend``: whether the request may go again (not a
    write the service may have received). ``fair``: the attempt had its whole ``timeout``
    (one cut short by the call's deadline says nothing about the service). ``closed``: the
    service closed the connection without answering (killed, restarted).
    """

    def __init__(self, text, base, refused=False, resend=True, fair=True, closed=False):
        self.text, self.base, self.refused = text, base, refused
        self.resend, self.fair, self.closed = resend, fair, closed

    def __str__(self):
        return self.text


# What a connection error says -> what happened, and whether the request may go again.
_SAYINGS = (
    (("refused",), "connection refused", True),
    (("name or service not known", "failed to resolve"), "its host name does not resolve", True),
    (
        ("remote end closed", "reset by peer", "aborted"),
        "connection closed without an answer",
        False,
    ),
)


def _connection_problem(exc, cutoff, timeout, base):
    """Say what a failed connection or read was: refused, no answer, cut ... ."""
    if cutoff.fired:
        seconds = cutoff.seconds()
        fair = seconds >= timeout - 0.01
        if cutoff.answered:
            text = f"its answer did not complete within {seconds:.3g}s"
        elif cutoff.sent:
            text = f"connection accepted, no answer within {seconds:.3g}s"
        else:
            return _Problem(f"no connection within {seconds:.3g}s", base, fair=fair)
        return _Problem(text, base, resend=False, fair=fair)
    chain, cause = [], exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, requests.exceptions.ConnectTimeout) for c in chain):
        return _Problem(f"no connection within {timeout:g}s", base)
    if any(isinstance(c, requests.exceptions.ReadTimeout) for c in chain):
        return _Problem(f"connection accepted, no answer within {timeout:g}s", base, resend=False)
    text = " ".join(str(c) for c in chain).lower()
    for words, what, resend in _SAYINGS:
        if any(word in text for word in words):
            return _Problem(
                what,
                base,
                refused=what == "connection refused",
                resend=resend,
                closed=what == "connection closed without an answer",
            )
    return _Problem(f"cannot connect ({type(exc).__name__})", base)


def _problem_of(exc, cutoff, timeout, base):
    """
    The problem a keystoneauth error shows, or None when it is a plain failure (TLS, an
    HTTP error other than 5xx ...). Anything after the cutoff is the cutoff's: an answer
    cut short may fail to parse, or not fail at all (urllib3 1.26 does not check its length).
    """
    if cutoff.fired or (
        isinstance(exc, ksa_exc.ConnectionError) and not isinstance(exc, ksa_exc.SSLError)
    ):
        return _connection_problem(exc, cutoff, timeout, base)
    if isinstance(exc, ksa_exc.HttpError) and exc.http_status in RETRY_STATUS:
        return _Problem(f"HTTP {exc.http_status}", base)
    return None


def _marks(context):
    """The services that failed in this run: base URL -> what happened."""
    marks = context.get(DOWN_KEY)
    if not isinstance(marks, dict):
        marks = context[DOWN_KEY] = {}
    return marks


def _mark(context, problem, clock, attempts):
    if problem.fair:
        _marks(context)[problem.base] = {
            "problem": f"{problem} ({attempts} attempt(s) in {clock.elapsed():.1f}s)",
            "refused": problem.refused,
        }


def _not_asked(label, base, mark):
    """A service that failed earlier in the run (not by refusing): it is not asked again."""
    return OpenStackUnavailable(
        f"{label} at {base} is not answering: earlier in this run {mark['problem']}; "
        "it is not asked again in this run",
        service=label,
    )


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
        sess = ksa_session.Session(
            auth=plugin, verify=settings["verify"], timeout=settings["timeout"]
        )
        for scheme in ("https://", "http://"):
            sess.mount(scheme, _Adapter())
        sessions[key] = sess
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
    status = getattr(exc, "http_status", None)
    return OpenStackError(
        f"authenticating to Keystone at {base} with {describe(settings)} failed: "
        + (f"HTTP {status}" if status else scrub(exc, hide))
    )


def endpoint(context, settings, service_type, interface=None, clock=None):
    """
    The base URL of ``service_type`` (``image``, ``compute`` ...) in the catalog of the
    token ``settings`` give (``%(tenant_id)s`` already filled by Keystone). ``clock`` is
    the deadline of the call the lookup is part of (without it, a call of its own).

    A Keystone that did not answer the lookup is marked down for the run; the service
    looked up is not: it was not asked.
    """
    hide = secrets_of(settings)
    if settings.get("token"):
        raise OpenStackError(
            f"finding the {service_type} endpoint needs password auth (a project-scoped "
            "token has a catalog, the admin token has none)"
        )
    sess = session(context, settings)
    keystone = settings["auth_url"]
    mark = _marks(context).get(keystone)
    clock = clock or _Clock(settings)
    attempts = 0
    while True:
        attempts += 1
        # A Keystone that failed earlier in the run is not asked again (a catalog the
        # session already holds still serves), one that refused gets one try.
        silent = bool(mark and not mark["refused"])
        cutoff = _Cutoff(time.monotonic()) if silent else clock.cutoff()
        with cutoff:
            try:
                url = sess.get_endpoint(
                    service_type=service_type,
                    interface=interface or settings["interface"],
                    region_name=settings.get("region_name"),
                )
                break
            except ksa_exc.ClientException as exc:
                problem = _problem_of(exc, cutoff, clock.timeout, keystone)
                if problem is None:
                    raise _auth_problem(exc, settings, hide) from None
        if silent:
            raise _not_asked("Keystone", keystone, mark) from None
        delay = None if mark else clock.next_delay()
        if delay is None:
            _mark(context, problem, clock, attempts)
            tried = " (tried once: it already failed to answer earlier in this run)" if mark else ""
            raise OpenStackUnavailable(
                f"Keystone at {keystone} is not answering: {problem} after {attempts} "
                f"attempt(s) in {clock.elapsed():.1f}s while looking up the {service_type} "
                f"endpoint{tried}"
            ) from None
        log.info("openstack_client: Keystone at %s not ready (%s)", keystone, problem)
        time.sleep(delay)
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
    """
    The readable part of an OpenStack error answer (Keystone, Glance and Nova shapes), in
    one line: an HTML error page (webob's, which Glance sends) becomes its text.
    """
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
    text = resp.text or resp.reason or ""
    if "<" in text and "html" in text[:200].lower():
        # webob's error page (Glance): its <title> and <h1> repeat the status line.
        text = re.sub(r"(?is)<(head|h1)\b.*?</\1\s*>|<[^>]*>", " ", text)
        text = html.unescape(text)
    return " ".join(text.split())[:200]


def _attempt(sess, settings, label, base, method, url, kwargs, hide, cutoff):
    """One try: ``(response, None)``, or ``(None, problem)`` when it got no usable answer."""
    write = method not in SAFE_METHODS
    try:
        resp = sess.request(url, method, raise_exc=False, connect_retries=0, **kwargs)
    except ksa_exc.ClientException as exc:
        # (an HttpError comes from the password plugin's own token request: Keystone's)
        at = settings["auth_url"] if isinstance(exc, ksa_exc.HttpError) else base
        problem = _problem_of(exc, cutoff, settings["timeout"], at)
        if problem is None and isinstance(exc, ksa_exc.HttpError):
            raise _auth_problem(exc, settings, hide) from None
        if problem is None:
            raise OpenStackError(
                f"{method} {url} on {label} at {base} failed: {scrub(exc, hide)}"
            ) from None
    else:
        if not cutoff.fired:
            if resp.status_code in (RETRY_STATUS_WRITE if write else RETRY_STATUS):
                return None, _Problem(f"HTTP {resp.status_code}", base)
            return resp, None
        # cut at the deadline: the answer may be a part of one
        problem = _connection_problem(None, cutoff, settings["timeout"], base)
    if not write:
        problem.resend = True
    return None, problem


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


def _after_revocation(sess, settings, label, base, method, url, kwargs, hide, rewind, clock):
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
    with clock.cutoff() as cutoff:
        resp, problem = _attempt(sess, settings, label, base, method, url, kwargs, hide, cutoff)
    if resp is None and not problem.resend:
        raise OpenStackUnsure(
            f"{method} {url} on {label} at {base}: {problem}; it may or may not have "
            "been applied, so it is not sent again"
        )
    if resp is None:
        raise OpenStackUnavailable(f"{label} at {base} is not answering: {problem}", label)
    return resp


def _send(context, sess, settings, call, kwargs, rewind, clock, mark):
    """The attempts of one request until one gets an answer: the response."""
    label, base, method, url, hide = call
    attempts = 0
    while True:
        if clock.end - time.monotonic() <= 0:
            raise OpenStackUnavailable(
                f"{method} {url} on {label} at {base}: no time left after the endpoint "
                f"lookup (retry_timeout plus timeout: {clock.end - clock.started:g}s)",
                label,
            )
        attempts += 1
        if attempts > 1:
            rewind()
        with clock.cutoff() as cutoff:
            resp, problem = _attempt(sess, settings, label, base, method, url, kwargs, hide, cutoff)
        if resp is not None:
            _marks(context).pop(base, None)
            return resp
        who = label if problem.base == base else "Keystone"
        if not problem.resend:
            # Not marked down: the caller's lookup gets a whole budget (see the docstring).
            raise OpenStackUnsure(
                f"{method} {url} on {label} at {base}: {problem}; it may or may not have "
                "been applied, so it is not sent again"
            )
        delay = clock.next_delay()
        # retry_timeout bounds the call: no attempt starts after it.
        if delay is None:
            _mark(context, problem, clock, attempts)
            if mark:
                raise OpenStackUnavailable(
                    f"{who} at {problem.base} is not answering: {problem} "
                    "(tried once: it already failed to answer earlier in this run)",
                    who,
                )
            raise OpenStackUnavailable(
                f"{who} at {problem.base} is not answering: {problem} after {attempts} "
                f"attempt(s) in {clock.elapsed():.1f}s "
                f"(retry_timeout={settings['retry_timeout']:g}s)",
                who,
            )
        log.info(
            "openstack_client: %s at %s not ready (%s), retry in %.1fs", who, base, problem, delay
        )
        time.sleep(delay)


def _refusal(resp, settings, call, path, authenticated, service_type):
    """The error for an answer outside ``expect``; its ``status`` is the answer's."""
    label, base, method, _url, hide = call
    status = resp.status_code
    if status == 401 and authenticated:
        cause = ""
        if service_type is not None:
            cause = (
                f": Keystone gave the token, {label} did not accept it "
                "(check its [keystone_authtoken] settings)"
            )
        error = OpenStackAuthError(
            f"{label} at {base} refused {describe(settings)} (HTTP 401) for {method} {path}" + cause
        )
    else:
        text = f"{method} {path} on {label} at {base} failed: HTTP {status}: "
        text += scrub(error_message(resp), hide)
        if status in RETRY_STATUS and method not in SAFE_METHODS:
            text += " (it may or may not have been applied, so it is not sent again)"
            error = OpenStackUnsure(text)
        else:
            error = OpenStackError(text)
    error.status = status
    return error


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
    clock = _Clock(settings)  # the one deadline of the call, endpoint lookup included
    if service_type is None:
        base = settings["auth_url"]
    else:
        base = endpoint(context, settings, service_type, interface, clock)
    url = base + path
    call = (label, base, method, url, hide)
    mark = _marks(context).get(base)
    if mark and not mark["refused"]:
        raise _not_asked(label, base, mark)
    rewind = _rewinder(data)
    if mark or rewind is None:
        # One try for a service that refused earlier in the run (it costs nothing), and
        # for a body that cannot be sent again.
        clock.no_retry()
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
    resp = _send(context, sess, settings, call, kwargs, rewind, clock, mark)
    renewable = authenticated and not settings.get("token") and rewind is not None
    # (its wait for the next second must fit in the call's deadline)
    renewable = renewable and clock.end - time.monotonic() > 1.1
    if resp.status_code == 401 and service_type is not None and renewable:
        # (the admin token cannot be renewed)
        resp = _after_revocation(
            sess, settings, label, base, method, url, kwargs, hide, rewind, clock
        )
    if resp.status_code in expect:
        return resp
    raise _refusal(resp, settings, call, path, authenticated, service_type)


def json_answer(context, settings, method, path, body=None, gone=False, **kwargs):
    """
    One ``request`` (``kwargs`` are its own): its decoded JSON answer, or None when it has
    no body (HTTP 204, an empty one) or, with ``gone``, on HTTP 404 (no such object).
    """
    expect = tuple(kwargs.pop("expect", (200, 201, 202, 204))) + ((404,) if gone else ())
    resp = request(context, settings, method, path, body, expect=expect, **kwargs)
    if resp.status_code == 204 or not resp.content or (gone and resp.status_code == 404):
        return None
    try:
        return resp.json()
    except ValueError:
        label = SERVICE_NAMES.get(kwargs.get("service_type"), kwargs.get("service_type"))
        raise OpenStackError(f"{method} {path} on {label}: the answer is not JSON") from None


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
