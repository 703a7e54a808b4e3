"""The Measurement sets page (``/ms``): the pipeline funnel and the table of measurement
sets (decision 0051).

The table's filters, sort and page are in the URL (``?stage=converted&stuck=1&cal=no
&q=…&sort=path&order=asc&page=2``); a click on a stage's count in the funnel sets them.
``history=24h|7n|30n`` picks the funnel-over-time window.
A value that cannot be used is named in a note and left out of the address.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.measurement_sets import QUERY_PARAMS, MeasurementSetsModel
from dsa110_dashboard.views.measurement_sets import MeasurementSetsView
from dsa110_dashboard.views.urlstate import sync_to_url

TITLE = "Measurement sets"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    model = MeasurementSetsModel(ctx.db, stuck_hours=ctx.settings.ms_stuck_hours)
    sync_to_url(model, {name: name for name in (*QUERY_PARAMS, "history")})
    return pn.Column(
        pn.pane.HTML("<h2 style='margin:8px 0'>Measurement sets</h2>", margin=0),
        MeasurementSetsView(model=model),
        sizing_mode="stretch_width",
    )
