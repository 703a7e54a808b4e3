"""Overview page (``/``). Until the full overview lands it shows the database's row counts."""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.row_counts import RowCountsModel
from dsa110_dashboard.views.row_counts import RowCountsView

TITLE = "Overview"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    return pn.Column(
        pn.pane.Markdown("## Pipeline overview"),
        RowCountsView(model=RowCountsModel(ctx.db)),
        sizing_mode="stretch_width",
    )
