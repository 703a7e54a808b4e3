"""One measurement set (``/ms/{path}``, the path URL-encoded with '/' as %2F, as the old
API had it): its row, HDF5 subbands, calibration, QA, images, jobs and neighbours.
A path that is not in ms_index is said to be unregistered; no file is looked at."""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.ms_detail import MsDetailModel
from dsa110_dashboard.views.ms_detail import DETAIL_CSS, MsDetailView

TITLE = "Measurement set"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    path = str((pn.state.route_params or {}).get("path", ""))
    model = MsDetailModel(ctx.db, path=path)
    return pn.Column(
        pn.pane.HTML('<a href="/ms">← Measurement sets</a>', margin=(10, 10, 0, 10),
                     stylesheets=[DETAIL_CSS]),
        MsDetailView(model=model),
        sizing_mode="stretch_width",
    )
