"""Composition root of the DSA-110 dashboard server.

Everything the server serves is assembled here from one ``Settings`` object: the pages
(``dashboards/``, each wrapped in the shell), the HTTP endpoints beside them
(``dsa110_dashboard.api``) and the static ``assets/``. ``make run`` and
``dsa110-dash serve`` both come through ``serve``; ``python app.py`` works too.

``panel serve app.py --plugins app`` serves the same pages, endpoints and assets from a
checkout (decision 0050): Panel imports this module as the plugin ``app`` and reads
``ROUTES`` (the endpoints, the assets and the pages' own URLs), then runs this file as a
script once per session, which builds the page for the session's URL.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import panel as pn
from bokeh.settings import SettingProvenance
from bokeh.settings import settings as bokeh_settings

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `python app.py` from elsewhere still finds dashboards/
    sys.path.insert(0, str(ROOT))

from dashboards import (  # noqa: E402
    calibration,
    health,
    image_detail,
    images,
    job_detail,
    jobs,
    measurement_sets,
    ms_detail,
    overview,
    qa,
    source_detail,
    sources,
    wall,
)
from dsa110_dashboard.api.operators import largest_body  # noqa: E402
from dsa110_dashboard.api.routes import api_patterns  # noqa: E402
from dsa110_dashboard.auth.credentials import Credentials  # noqa: E402
from dsa110_dashboard.auth.headers import frame_headers  # noqa: E402
from dsa110_dashboard.auth.oauth import oauth_sign_in  # noqa: E402
from dsa110_dashboard.auth.store import SessionStore, prepare_store, store_database  # noqa: E402
from dsa110_dashboard.auth.tokens import TokenStore  # noqa: E402
from dsa110_dashboard.auth.wall import WallAccess  # noqa: E402
from dsa110_dashboard.auth.web import SessionAuthProvider, SignIn  # noqa: E402
from dsa110_dashboard.context import AppContext  # noqa: E402
from dsa110_dashboard.errors import ConfigError, DashboardError  # noqa: E402
from dsa110_dashboard.metrics.instruments import check_figures  # noqa: E402
from dsa110_dashboard.metrics.routes import RouteNames, log_function  # noqa: E402
from dsa110_dashboard.settings import Settings  # noqa: E402
from dsa110_dashboard.startup import warn_unservable_images  # noqa: E402
from dsa110_dashboard.status.checks import build_monitor  # noqa: E402
from dsa110_dashboard.views import background  # noqa: E402
from dsa110_dashboard.views import errors as view_errors  # noqa: E402
from dsa110_dashboard.views import page_head  # noqa: E402
from dsa110_dashboard.views import panel_script  # noqa: E402
from dsa110_dashboard.views import serialization  # noqa: E402
from dsa110_dashboard.views import sessions as open_sessions  # noqa: E402
from dsa110_dashboard.views.shell import NavItem, page_shell, session_theme  # noqa: E402

log = logging.getLogger("dsa110_dashboard.app")
ASSETS = ROOT / "assets"


@dataclass(frozen=True)
class Page:
    path: str
    module: ModuleType
    nav: str | None = None  # the navigation entry it belongs to; None: its own path


PAGES = [
    Page("/", overview),
    Page("/images", images),
    Page("/images/{image_id}", image_detail, nav="/images"),
    Page("/sources", sources),
    Page("/sources/{source_id}", source_detail, nav="/sources"),
    Page("/jobs", jobs),
    Page("/jobs/{run_id}", job_detail, nav="/jobs"),
    Page("/ms", measurement_sets),
    Page("/ms/{path}", ms_detail, nav="/ms"),
    Page("/calibration", calibration),
    Page("/qa", qa),
    Page("/health", health),
    Page("/wall", wall),
]


def navigation() -> list[NavItem]:
    return [NavItem(p.path, p.module.TITLE) for p in PAGES
            if p.nav is None and chrome(p)]


def chrome(page: Page) -> bool:
    """Whether the page sits in the shell (header, navigation, footer); the wall does
    not (its module says ``CHROME = False``)."""
    return getattr(page.module, "CHROME", True)


def build_page(ctx: AppContext, page: Page, notice: pn.viewable.Viewable | None = None
               ) -> pn.viewable.Viewable:
    """One session's page in the shell (``notice`` above its body)."""
    view_errors.quiet_serving_loop()
    if not chrome(page):  # the wall: dark always, nothing around it
        pn.config.theme = "dark"
        pn.state.curdoc.theme = pn.theme.DarkTheme.param.bokeh_theme.default
        return page.module.page(ctx)
    if session_theme() == "dark":
        pn.config.theme = "dark"  # session-local: set before views are built
        # Plain Bokeh figures take the document's theme when they join it
        # (HoloViews plots theme themselves).
        pn.state.curdoc.theme = pn.theme.DarkTheme.param.bokeh_theme.default
    body = page.module.page(ctx)
    if notice is not None:
        body = pn.Column(notice, body, sizing_mode="stretch_width", margin=0)
    return page_shell(ctx, navigation(), page.nav or page.path, body)


def routes(ctx: AppContext) -> dict[str, Callable[[], pn.viewable.Viewable]]:
    """One page function per URL; Panel calls it for every new session."""

    def bind(page: Page):
        # A plain function: Panel renders a functools.partial as text, not as a page.
        def make_page() -> pn.viewable.Viewable:
            return build_page(ctx, page)

        make_page.__name__ = f"{page.module.__name__.rsplit('.', 1)[-1]}_page"
        return make_page

    return {page.path: bind(page) for page in PAGES}


def sign_in(settings: Settings) -> SignIn | None:
    """Sign-in (decision 0025) when DSA110_DASH_BASIC_AUTH is set: its store is made
    here, before any fork."""
    if not settings.basic_auth:
        return None
    if not settings.cookie_secret:
        raise ConfigError("DSA110_DASH_COOKIE_SECRET: must be set when "
                          "DSA110_DASH_BASIC_AUTH is (it signs the sign-in cookie)")
    credentials = Credentials(settings.basic_auth)
    store = SessionStore.for_settings(settings)
    try:
        store.prepare()
    except DashboardError as exc:
        raise ConfigError(f"DSA110_DASH_AUTH_DB: the sign-in store cannot be opened or "
                          f"created ({exc.user_message}); point it at a writable place") \
            from None
    return SignIn(settings, store, credentials, ASSETS / "login.html")


def api_tokens(settings: Settings, sign_in: SignIn | None) -> TokenStore | None:
    """API tokens (decision 0046) live in the sign-in store, which open access makes too;
    without a usable store, Bearer requests are told so (503) and the rest serves on."""
    if sign_in is not None:
        return TokenStore(sign_in.store.db)
    db = store_database(settings)
    try:
        prepare_store(db)
    except DashboardError as exc:
        log.warning("API tokens are unavailable: the sign-in store (DSA110_DASH_AUTH_DB) "
                    "cannot be opened or created: %s", exc.user_message)
        db.dispose()
        return None
    return TokenStore(db)


def auth_options(ctx: AppContext) -> dict:
    """Every page and its websocket (and, through ApiHandler, every endpoint but health)
    need an open session when sign-in is on: ours (users file) or Panel's OAuth flow
    (decision 0063). With ours, the wall display and its thumbnails also open to what
    DSA110_DASH_WALL_NETWORKS / _TOKEN_SHA256 allow (decision 0062); Panel's OAuth
    provider knows no such exemption."""
    if ctx.oauth is not None:
        ctx.oauth.install()
        return ctx.oauth.serve_options()
    if ctx.sign_in is None:
        return {}
    return {"auth_provider": SessionAuthProvider(ctx.sign_in, ctx.wall)}


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
        "title": {p.path: f"DSA-110 · {p.module.TITLE}" for p in PAGES},
        "cookie_secret": settings.cookie_secret,  # (OAuth's options repeat it)
        # The operator endpoints' double-submit cookie (decision 0047); scripts read it.
        "xsrf_cookie_kwargs": {"samesite": "Strict"},
        **auth_options(ctx),
        # X-Forwarded-For/-Proto decide the client address and HTTPS only behind a proxy.
        "use_xheaders": settings.trust_proxy_headers,
        "transforms": [frame_headers(settings.frame_ancestors)],
        # Every request's latency, by route pattern, for /metrics (decision 0064).
        "log_function": log_function(ctx.metrics, RouteNames(p.path for p in PAGES)),
        "websocket_max_message_size": 20 * 1024 * 1024,
        # A URL too long for Tornado's header limit would be dropped without an answer;
        # with room for it the endpoints answer 413 (api.base.MAX_URL_CHARS). A body
        # past largest_body is refused before it is read.
        "http_server_kwargs": {"max_header_size": 1024 * 1024,
                               "max_body_size": largest_body(settings)},
        "keep_alive_milliseconds": int(settings.timeouts.websocket_ping * 1000),
        "check_unused_sessions_milliseconds": 17_000,
        "unused_session_lifetime_milliseconds": 60_000,
    }


def configure_panel(settings: Settings) -> None:
    # The tables redraw once after their first build, not two or three times (0085).
    pn.extension("tabulator", notifications=True, css_files=["/assets/dashboard.css"],
                 js_files={"dsa110_table_redraw": "/assets/tabulator_redraw_once.js"})
    # Page work; the API has its own pools. A second server in the same process (tests,
    # a notebook) with another count: Panel refuses to start a pool beside a running
    # one, so the old pool is shut down first (setting None does that).
    if pn.config.nthreads != settings.num_threads:
        pn.config.nthreads = None
    pn.config.nthreads = settings.num_threads
    background.configure(settings.timeouts)
    serialization.install()  # documents serialized without computing unset defaults
    # Bokeh checks each new document for development mistakes (and only logs them):
    # ~20 ms of every session on the event loop before its page goes out (decision
    # 0091). Bokeh's own setting (BOKEH_VALIDATE_DOC, its config file) keeps them.
    checks = bokeh_settings.perform_document_validation
    if checks.get_value_with_provenance()[1] in (SettingProvenance.DEFAULT,
                                                 SettingProvenance.GLOBAL_DEFAULT):
        checks.set_value(False)
    view_errors.install()
    page_head.install()
    open_sessions.install()


def build_context(settings: Settings) -> AppContext:
    """The context every page and endpoint of one server shares (engines made lazily)."""
    ctx = AppContext.from_settings(settings)
    ctx.oauth = oauth_sign_in(settings)  # checked first: it refuses BASIC_AUTH beside it
    ctx.sign_in = sign_in(settings)
    ctx.tokens = api_tokens(settings, ctx.sign_in)
    ctx.wall = WallAccess(settings)
    ctx.health = build_monitor(settings, ctx.db,
                               ctx.tokens.db if ctx.tokens is not None else None)
    ctx.metrics.read_checks_from(check_figures(ctx.health))  # /metrics (decision 0064)
    # One count of open sessions for /metrics and the /health page (decision 0077).
    ctx.metrics.count_sessions_with(open_sessions.open_sessions)
    if settings.num_procs > 1:
        ctx.health.start_after_fork()  # each forked process runs its own scheduler
    return ctx


def serve(settings: Settings, *, start: bool = True, threaded: bool = False):
    """Serve the dashboard; returns the server (or its thread when ``threaded``)."""
    ctx = build_context(settings)
    configure_panel(settings)
    log.info("serving %s on http://%s:%s", ctx.db.describe(), settings.address,
             settings.port)
    warn_unservable_images(ctx)
    if settings.num_procs == 1:
        ctx.health.start()
    server = pn.serve(routes(ctx), show=False, start=start, threaded=threaded,
                      **server_options(settings, ctx))
    # Whoever stops a server started here (the tests) stops its health checks too.
    server.health = ctx.health
    return server


# ---------------------------------------------------------------- panel serve app.py
#: Where ``panel serve app.py`` serves this script (Panel names it after the file).
SCRIPT_PATH = "/" + Path(__file__).stem
#: Set in Panel's per-process cache once Panel has read ROUTES (``--plugins app``); a
#: module global would be lost when ``--dev`` re-imports this module after an edit.
ROUTES_GIVEN = "dsa110_dashboard: ROUTES given"


@functools.cache
def process_context() -> AppContext:
    """Under ``panel serve``: this process's one context, from the environment's
    settings, made once (before ``--num-procs`` forks when ``--plugins app`` is given;
    the engines are made after it)."""
    settings = Settings.load()
    for name, value in (("DSA110_DASH_BASIC_AUTH", settings.basic_auth),
                        ("DSA110_DASH_OAUTH_PROVIDER", settings.oauth_provider)):
        if value:
            # Panel's command line cannot install our sign-in (auth_provider): never
            # serve open pages to a deployment that asked for sign-in.
            raise ConfigError(f"{name}: sign-in needs `dsa110-dash serve`; `panel serve "
                              "app.py` serves without it, so unset the setting for a "
                              "development server")
    ctx = build_context(settings)
    configure_panel(settings)
    log.info("panel serve: %s", ctx.db.describe())
    warn_unservable_images(ctx)
    return ctx


def plugin_routes() -> list[tuple]:
    """``ROUTES`` for ``panel serve app.py --plugins app``: the JSON endpoints, the
    assets, and every page's own URL served by this script's application."""
    ctx = process_context()
    pn.state.cache[ROUTES_GIVEN] = True
    return [*api_patterns(ctx),
            *background.get_static_routes({"assets": str(ASSETS)}),
            *panel_script.page_patterns([p.path for p in PAGES], SCRIPT_PATH)]


def __getattr__(name: str):
    # ROUTES is made when Panel reads it: importing this module (dsa110-dash serve, the
    # tests) must not load settings from the environment or open a database.
    if name == "ROUTES":
        return plugin_routes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def script_page() -> pn.viewable.Viewable:
    """The page of this session: the one whose path the session was opened at (the
    Overview at ``/app``)."""
    ctx = process_context()
    configure_panel(ctx.settings)  # per session too: pn.extension's resources, handler
    path = panel_script.session_path()
    page_path = panel_script.page_for([p.path for p in PAGES], path) or "/"
    page = next(p for p in PAGES if p.path == page_path)
    notice = None
    if not pn.state.cache.get(ROUTES_GIVEN):
        notice = pn.pane.Alert(
            "Only this page works here: serve it with `panel serve app.py --plugins app` "
            "for the other pages, the images' thumbnails and the JSON API.",
            alert_type="warning", sizing_mode="stretch_width", margin=(10, 0, 0, 0))
    body = build_page(ctx, page, notice)
    return body.servable(title=f"DSA-110 · {page.module.TITLE}")


if __name__.startswith("bokeh_app_"):
    # Run by `panel serve` for a session: the module Panel imported as the plugin (or
    # this import) holds the process's context, shared by every session.
    import app as process  # noqa: E402

    process.script_page()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve(Settings.load())
