"""The image browser (``/images``): every image product, filtered, sorted and paged in SQL."""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.image_browser import ImageBrowserModel
from dsa110_dashboard.views.image_browser import ImageBrowserView

TITLE = "Images"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    return pn.Column(
        pn.pane.HTML("<h2 style='margin:8px 0'>Images</h2>", margin=0),
        ImageBrowserView(model=ImageBrowserModel(ctx.db)),
        sizing_mode="stretch_width",
    )
