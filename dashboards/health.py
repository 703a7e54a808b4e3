"""The Health page (``/health``): the service checks, the caches and this server process.

``?check=<name>`` chooses the check the latency plot shows (a name that is not a check is
named in a note and dropped). Clearing a cache needs an operator (the buttons are
disabled with the reason otherwise) and is audited.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.auth.page_user import page_user
from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.health import QUERY_PARAMS, HealthModel
from dsa110_dashboard.views.health import HealthView
from dsa110_dashboard.views.sessions import open_sessions
from dsa110_dashboard.views.urlstate import sync_to_url

TITLE = "Health"


def page_period(interval_s: float) -> float:
    """How often an open page reads the latest results: with the checks, but never more
    often than every 5 s (each read sends the table again) nor less than every 30 s."""
    return min(max(interval_s, 5.0), 30.0)


def page(ctx: AppContext) -> pn.viewable.Viewable:
    cookies = dict(pn.state.cookies or {})
    model = HealthModel(ctx.health, ctx.settings, ctx.db, sessions=open_sessions,
                        identify=lambda: page_user(ctx.sign_in, cookies, ctx.oauth))
    sync_to_url(model, {name: name for name in QUERY_PARAMS}, check=model.check_url_value)
    return pn.Column(
        pn.pane.HTML("<h2 style='margin:8px 0'>Health</h2>", margin=0),
        HealthView(model=model, period_s=page_period(ctx.settings.health_interval_seconds)),
        sizing_mode="stretch_width",
    )
