"""The QA page (``/qa``): image and calibration QA over a time range and declination
strip, with threshold bands, points coloured by grade, the grade distribution, the
nights' summary and the worst images; a box of points can be flagged in one action.

The range, strip and open section of plots are in the URL
(``?from=2025-10-10&to=2025-10-17&dec_min=50&plots=beam``); a
value that cannot be used is named in a note and left out of the address. Flagging needs
a signed-in user (the user read from the session cookie once loaded).
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.auth.page_user import page_user
from dsa110_dashboard.context import AppContext
from dsa110_dashboard.queries.image_query import parse_time
from dsa110_dashboard.viewmodels.qa import QUERY_PARAMS, URL_PARAMS, QAModel
from dsa110_dashboard.views.qa import QAPageView
from dsa110_dashboard.views.urlstate import sync_to_url

TITLE = "QA"


def _check(parameter: str, value):
    """A time the page cannot read is named (``from: ...``) and left out of the URL."""
    if parameter in ("start", "end"):
        parse_time(str(value), QUERY_PARAMS[parameter])
    return value


def page(ctx: AppContext) -> pn.viewable.Viewable:
    cookies = dict(pn.state.cookies or {})
    model = QAModel(ctx.db, identify=lambda: page_user(ctx.sign_in, cookies, ctx.oauth))
    sync_to_url(model, URL_PARAMS, check=_check)
    return pn.Column(
        pn.pane.HTML("<h2 style='margin:8px 0'>QA trends</h2>", margin=0),
        QAPageView(model=model),
        sizing_mode="stretch_width",
    )
