"""Our page URLs when ``panel serve app.py --plugins app`` serves the dashboard.

``panel serve`` makes one Bokeh application of ``app.py``, at ``/app``, and runs the
script once per session. A plugin (``--plugins``) may only add Tornado patterns, so the
pages' own URLs (``/``, ``/images``, ``/images/{image_id}``, ...) are added as patterns
whose handler opens a session of that one application: links, URL state and
``pn.state.route_params`` then work as under ``dsa110-dash serve``, and the script picks
the page from the session's path (decision 0050).

Two Bokeh internals are used, only here: the server's ``_applications`` (the
application context of ``/app``; Bokeh offers no public accessor) and the
``application_context``/``bokeh_websocket_path`` arguments its own page handlers
get. tests/packaging/test_panel_serve.py fails loudly if an upgrade changes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import panel as pn
from .background import WSHandler
from .page_head import PageHandler

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def path_regex(path: str) -> str:
    """A page path with ``{name}`` placeholders as a Tornado pattern with named groups
    (one path segment each, decoded by Tornado as ``pn.serve`` does)."""
    regex = _PLACEHOLDER.sub(r"(?P<\1>[^/]+)", path)
    return regex if path == "/" else regex + "/?"


def page_for(paths: Iterable[str], request_path: str | None) -> str | None:
    """The page path (one of ``paths``) that ``request_path`` opens, else None."""
    for path in paths:
        if request_path and re.fullmatch(path_regex(path), request_path):
            return path
    return None


def session_path() -> str | None:
    """The path the session was opened at (``/images/12``), None outside a session."""
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return None
    return getattr(doc.session_context.request, "app_path", None)


def _application_context(tornado_app, app_path: str):
    applications = tornado_app._applications
    if app_path not in applications:
        raise RuntimeError(f"panel serve serves no application at {app_path} (it serves "
                           f"{sorted(applications)}); serve the dashboard's app.py")
    return applications[app_path]


class ScriptPageHandler(PageHandler):
    """Opens a session of the application ``panel serve`` made of the script at
    ``app_path``, for one of our page URLs."""

    def __init__(self, tornado_app, *args, app_path: str, **kwargs) -> None:
        super().__init__(tornado_app, *args,
                         application_context=_application_context(tornado_app, app_path),
                         bokeh_websocket_path=app_path + "/ws", **kwargs)


class ScriptSocketHandler(WSHandler):
    """The websocket of a page opened by ScriptPageHandler: BokehJS connects to the
    page's own path + ``/ws``."""

    def __init__(self, tornado_app, *args, app_path: str, **kwargs) -> None:
        super().__init__(tornado_app, *args,
                         application_context=_application_context(tornado_app, app_path),
                         bokeh_websocket_path=app_path + "/ws", **kwargs)


def page_patterns(paths: Iterable[str], app_path: str) -> list[tuple]:
    """Tornado patterns for each page path (and its websocket), served by the script
    at ``app_path``."""
    patterns = []
    for path in paths:
        regex = path_regex(path).removesuffix("/?")
        patterns += [(regex.rstrip("/") + "/ws", ScriptSocketHandler, {"app_path": app_path}),
                     (path_regex(path), ScriptPageHandler, {"app_path": app_path})]
    return patterns
