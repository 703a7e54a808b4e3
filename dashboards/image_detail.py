"""One image (``/images/{image_id}``): viewer, metadata, QA, provenance, header, sources.

The look (stretch, colormap, sources overlay) is in the URL query; the id is in the path.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.auth.page_user import page_user
from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.image_detail import ImageDetailModel
from dsa110_dashboard.viewmodels.image_flags import ImageFlagsModel
from dsa110_dashboard.views.image_detail import ImageDetailView
from dsa110_dashboard.views.urlstate import sync_to_url

TITLE = "Image"

QUERY_KEYS = {"stretch": "stretch", "cmap": "cmap", "show_sources": "sources"}


def page(ctx: AppContext) -> pn.viewable.Viewable:
    raw_id = str((pn.state.route_params or {}).get("image_id", ""))
    model = ImageDetailModel(ctx.db, ctx.settings)
    sync_to_url(model, QUERY_KEYS)
    cookies = dict(pn.state.cookies or {})
    flags = ImageFlagsModel(ctx.db,
                            identify=lambda: page_user(ctx.sign_in, cookies, ctx.oauth))
    return pn.Column(
        ImageDetailView(model=model, raw_id=raw_id, flags=flags),
        sizing_mode="stretch_width",
    )
