"""One image (``/images/{image_id}``): viewer, metadata, QA, provenance, header, sources."""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.image_detail import ImageDetailModel
from dsa110_dashboard.views.image_detail import ImageDetailView

TITLE = "Image"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    raw_id = str((pn.state.route_params or {}).get("image_id", ""))
    return pn.Column(
        ImageDetailView(model=ImageDetailModel(ctx.db, ctx.settings), raw_id=raw_id),
        sizing_mode="stretch_width",
    )
