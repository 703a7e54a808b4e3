"""The page shell: header with navigation and theme switch, database banner, footer.

The shell is server-only; every view inside it is a ``Viewer`` that also displays in
Jupyter on its own. With sign-in on, only signed-in users see pages, and the header
names the database by its path and offers "Sign out". With sign-in off, anyone may see
the pages, so the database and messages name server paths relative to their data root.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import panel as pn
import param
from panel.viewable import Viewer

from ..context import AppContext
from ..viewmodels.database_status import DatabaseStatus
from .background import load_in_background

STATUS_PERIOD_MS = 10_000


@dataclass(frozen=True)
class NavItem:
    path: str
    title: str


def table_theme() -> str:
    """Tabulator's bundled theme matching the session's light or dark theme."""
    return "midnight" if pn.config.theme == "dark" else "simple"


#: The cookie that keeps a chosen theme across pages and visits.
THEME_COOKIE = "dsa_theme"


def _theme_argument() -> str:
    """The page's ``?theme=`` argument ('' without one)."""
    args = pn.state.session_args or {}
    value = (args.get("theme") or [b""])[0]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def session_theme() -> str:
    """'dark' or 'default': the page's ``?theme=`` argument, else the theme the user last
    chose (a cookie), so that following a link keeps it."""
    value = _theme_argument() or (pn.state.cookies or {}).get(THEME_COOKIE, "")
    return "dark" if value == "dark" else "default"


def _remember_theme_js(theme: str) -> str:
    return (f"document.cookie = '{THEME_COOKIE}={theme}; path=/; max-age=31536000; "
            "SameSite=Lax';")


def remember_url_theme(doc) -> None:  # noqa: ANN001 - bokeh Document
    """A theme chosen in the address (``?theme=dark``, a shared link) is remembered like
    one chosen with the toggle: the browser sets the cookie once the page is shown, so
    the next page, reached by a link without ``?theme``, keeps it."""
    if not _theme_argument() or doc is None:
        return
    from bokeh.events import DocumentReady
    from bokeh.models import CustomJS

    doc.js_on_event(DocumentReady, CustomJS(code=_remember_theme_js(session_theme())))


def _theme_toggle_js(new: str) -> str:
    """Remembers ``new`` (a cookie for a year) and reloads the page in it, keeping the
    page's current query (filters the user set since load). ``window.`` everywhere:
    inside an inline handler ``URL`` is ``document.URL``, a string."""
    return (_remember_theme_js(new) +
            "const u = new window.URL(window.location.href);"
            f"u.searchParams.set('theme', '{new}');"
            "window.location.assign(u.toString()); return false;")


def header_html(nav: list[NavItem], active: str, database: str, theme: str,
                sign_out: bool = False) -> str:
    links = "".join(
        f'<a href="{html.escape(item.path)}" class="{"active" if item.path == active else ""}">'
        f"{html.escape(item.title)}</a>" for item in nav)
    other = "Light" if theme == "dark" else "Dark"
    new = "default" if theme == "dark" else "dark"
    return (
        '<div class="dsa-header">'
        '<a class="dsa-brand" href="/"><img src="/assets/logo.svg" alt="DSA-110 logo">'
        "<span>DSA-110 Continuum Pipeline</span></a>"
        f'<nav class="dsa-nav">{links}</nav>'
        f'<div class="dsa-right"><span title="database">{html.escape(database)}</span>'
        f'<a href="?theme={new}" class="dsa-theme-toggle" '
        f'onclick="{_theme_toggle_js(new)}">{other} theme</a>'
        + ('<a href="/logout" class="dsa-sign-out">Sign out</a>' if sign_out else "")
        + "</div></div>")


class DatabaseBanner(Viewer):
    """A red banner while the database does not answer; it clears by itself."""

    status = param.ClassSelector(class_=DatabaseStatus)
    period_ms = param.Integer(default=STATUS_PERIOD_MS, bounds=(100, None))
    shown = param.Callable(default=str, doc="The message as the page's readers may see it.")

    def __init__(self, **params):
        super().__init__(**params)
        self._alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                    sizing_mode="stretch_width", margin=(5, 16))
        self.status.param.watch(self._render, ["ok", "message"])
        self._render()

    def refresh(self) -> None:
        """Blocking; runs on a worker thread (see views/background.py)."""
        self.status.check()

    def _render(self, *_events) -> None:
        self._alert.object = (f"**Database unavailable.** {self.shown(self.status.message)} "
                              "The page retries by itself.") if not self.status.ok else ""
        self._alert.visible = not self.status.ok

    def __panel__(self):
        load_in_background(self.refresh, every_ms=self.period_ms)
        return self._alert


def page_shell(ctx: AppContext, nav: list[NavItem], active: str,
               body: pn.viewable.Viewable) -> pn.viewable.Viewable:
    theme = session_theme()
    remember_url_theme(pn.state.curdoc)
    signed_in = ctx.signs_in  # pages need a session then
    shown = str if signed_in else ctx.roots.scrub
    header = pn.pane.HTML(header_html(nav, active, shown(ctx.db.target.display()), theme,
                                      sign_out=signed_in),
                          sizing_mode="stretch_width", margin=0)
    banner = DatabaseBanner(status=DatabaseStatus(ctx.db, ctx.settings.timeouts.quick_check),
                            period_ms=int(ctx.settings.status_check_seconds * 1000),
                            shown=shown)
    footer = pn.pane.HTML(
        f'<div class="dsa-footer">DSA-110 continuum pipeline dashboard · '
        f'{html.escape(shown(ctx.db.describe()))}</div>', sizing_mode="stretch_width",
        margin=0)
    return pn.Column(header, banner, pn.Column(body, sizing_mode="stretch_width",
                                               margin=(0, 16)),
                     footer, sizing_mode="stretch_width", margin=0)
