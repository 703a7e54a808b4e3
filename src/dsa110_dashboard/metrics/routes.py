"""Request latency by route: the one hook Tornado calls when any request ends (pages,
endpoints, assets), labelled with the route pattern that served it, never the raw URL
(an image id or a source name in a label would grow Prometheus without bound)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tornado.web import RequestHandler

from .instruments import DashboardMetrics

#: Where Bokeh and Panel serve their own files.
STATIC_PREFIXES = (("/assets/", "/assets/{file}"), ("/static/", "/static/{file}"),
                   ("/static-", "/static/{file}"))
OTHER = "other"
#: Query values never written to the access log: the wall's read-only token
#: (``/wall?token=``, decision 0062) would otherwise sit in every log reader's view.
SECRET_QUERY = re.compile(r"([?&]token=)[^&\s]*", re.IGNORECASE)


def route_name(pattern: str) -> str:
    """A Tornado URL regex as people write the route: ``/api/v1/jobs/([^/]+)/logs/?`` is
    ``/api/v1/jobs/{}/logs``, ``cutout\\.(png|fits)`` is ``cutout.{png|fits}``."""
    name = re.sub(r"\(\[\^/\]\+\)|\(\\d\+\)", "{}", pattern)
    name = re.sub(r"\(([\w|]+)\)", r"{\1}", name)
    return name.replace("/?", "").replace("\\", "").rstrip("$") or "/"


class RouteNames:
    """Names the route of a finished request: an endpoint says its own (ApiHandler's
    ``route``), a page path is matched against the pages' templates."""

    def __init__(self, page_paths: Iterable[str]):
        self._pages = [(re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(p))
                                   + "/?$"), p) for p in page_paths]

    def of(self, handler: RequestHandler) -> str | None:
        """The route's name; None for what is not a request answered (websockets)."""
        own = getattr(handler, "route", None)
        if isinstance(own, str):
            return own
        if handler.get_status() == 101 or handler.request.headers.get("Upgrade"):
            return None  # a websocket "request" lasts as long as its page is open
        path = handler.request.path
        for prefix, name in STATIC_PREFIXES:
            if path.startswith(prefix):
                return name
        for regex, name in self._pages:
            if regex.match(path):
                return name
        return OTHER


def log_function(metrics: DashboardMetrics, names: RouteNames):
    """Tornado's ``log_function``: observe the request, then log it as Tornado would."""

    def log_request(handler: RequestHandler) -> None:
        route = names.of(handler)
        if route is not None:
            metrics.observe_request(route, handler.request.method or "", handler.get_status(),
                                    handler.request.request_time())
        _tornado_access_log(handler)

    return log_request


def _tornado_access_log(handler: RequestHandler) -> None:
    # Tornado's own Application.log_request, without its check for a log_function
    # (this is it).
    from tornado.log import access_log

    status = handler.get_status()
    if status < 400:
        log_method = access_log.info
    elif status < 500:
        log_method = access_log.warning
    else:
        log_method = access_log.error
    request_time = 1000.0 * handler.request.request_time()
    summary = SECRET_QUERY.sub(r"\1(hidden)", handler._request_summary())
    log_method("%d %s %.2fms", status, summary, request_time)
