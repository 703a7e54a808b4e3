"""Composition root of the DSA-110 dashboard server.

Everything the server serves is assembled here from one ``Settings`` object: the pages
(``dashboards/``), the HTTP endpoints beside them (``dsa110_dashboard.api``) and the
static ``assets/``. ``make run`` and ``dsa110-dash serve`` both come through ``serve``.
Run it directly with ``python app.py`` (settings from the environment).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import panel as pn

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `python app.py` from elsewhere still finds dashboards/
    sys.path.insert(0, str(ROOT))

from dashboards import overview  # noqa: E402
from dsa110_dashboard.api.routes import api_patterns  # noqa: E402
from dsa110_dashboard.context import AppContext  # noqa: E402
from dsa110_dashboard.settings import Settings  # noqa: E402

log = logging.getLogger("dsa110_dashboard.app")
ASSETS = ROOT / "assets"
PAGES = {"/": overview}


def routes(ctx: AppContext) -> dict[str, Callable[[], pn.viewable.Viewable]]:
    """One page function per URL; Panel calls it for every new session."""

    def bind(module):
        # A plain function: Panel renders a functools.partial as text, not as a page.
        def make_page() -> pn.viewable.Viewable:
            return module.page(ctx)

        make_page.__name__ = f"{module.__name__.rsplit('.', 1)[-1]}_page"
        return make_page

    return {path: bind(module) for path, module in PAGES.items()}


def server_options(settings: Settings, ctx: AppContext) -> dict:
    origins = list(settings.allow_websocket_origin) or [
        f"{host}:{settings.port}" for host in {"localhost", "127.0.0.1", settings.address}]
    return {
        "port": settings.port,
        "address": settings.address,
        "websocket_origin": origins,
        "num_procs": settings.num_procs,
        "static_dirs": {"assets": str(ASSETS)},
        "extra_patterns": api_patterns(ctx),
        "title": {path: f"DSA-110 · {module.TITLE}" for path, module in PAGES.items()},
        "cookie_secret": settings.cookie_secret,
        "websocket_max_message_size": 20 * 1024 * 1024,
        "keep_alive_milliseconds": int(settings.timeouts.websocket_ping * 1000),
        "check_unused_sessions_milliseconds": 17_000,
        "unused_session_lifetime_milliseconds": 60_000,
    }


def serve(settings: Settings, *, start: bool = True, threaded: bool = False):
    """Serve the dashboard; returns the server (or its thread when ``threaded``)."""
    ctx = AppContext.from_settings(settings)
    pn.extension("tabulator", notifications=True)
    pn.config.nthreads = settings.num_threads
    log.info("serving %s on http://%s:%s", ctx.db.describe(), settings.address,
             settings.port)
    return pn.serve(routes(ctx), show=False, start=start, threaded=threaded,
                    **server_options(settings, ctx))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve(Settings.load())
