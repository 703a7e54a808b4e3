"""The Calibration page (``/calibration``): the apply-list at a chosen time with its
warnings, the validity timeline, the registry and the calibration-QA heat map.

The chosen time and the registry's filters, sort and page are in the URL
(``?at=2025-10-17T14:40&type=BP&state=expired&field=0834&sort=end&order=asc&page=2``);
a value that cannot be used is named in a note and left out of the address.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.calibration import QUERY_PARAMS, CalibrationModel
from dsa110_dashboard.views.calibration import CalibrationPageView
from dsa110_dashboard.views.urlstate import sync_to_url

TITLE = "Calibration"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    model = CalibrationModel(ctx.db, ctx.roots,
                             horizon_hours=ctx.settings.cal_expiry_warn_hours)
    sync_to_url(model, {name: name for name in QUERY_PARAMS})
    return pn.Column(
        pn.pane.HTML("<h2 style='margin:8px 0'>Calibration</h2>", margin=0),
        CalibrationPageView(model=model),
        sizing_mode="stretch_width",
    )
