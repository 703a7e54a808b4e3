"""Source page (``/sources/{source_id}``): one source's lightcurve, statistics and context.

The id arrives URL-encoded (NVSS names hold spaces and '+'); ``pn.state.route_params``
gives it decoded. View state (flux column, time axis, exclusions, selected epoch) is in
the URL query.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.source_detail import SourceDetailModel
from dsa110_dashboard.views.source_detail import LINK_CSS, SourceDetailView
from dsa110_dashboard.views.urlstate import sync_to_url

TITLE = "Source"

QUERY_KEYS = {"flux": "flux", "time_axis": "time", "exclude_qa": "exclude_qa",
              "include_flagged": "include_flagged", "excluded": "excluded", "epoch": "epoch"}


def page(ctx: AppContext) -> pn.viewable.Viewable:
    source_id = (pn.state.route_params or {}).get("source_id", "")
    model = SourceDetailModel(ctx.db, source_id)
    sync_to_url(model, QUERY_KEYS)
    return pn.Column(
        pn.pane.HTML('<a href="/sources">← Sources</a>', margin=(10, 10, 0, 10),
                     stylesheets=LINK_CSS),
        SourceDetailView(model=model),
        sizing_mode="stretch_width",
    )
