"""The image browser (``/images``): every image product, filtered, sorted and paged in SQL.

The search is in the URL under the CSV export's keys (``URL_KEYS``): a copied link
reproduces the view; a value the search cannot use is named and leaves the address.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.image_browser import (
    URL_KEYS,
    ImageBrowserModel,
    check_url_value,
    url_text,
)
from dsa110_dashboard.views.image_browser import ImageBrowserView
from dsa110_dashboard.views.urlstate import sync_to_url

TITLE = "Images"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    model = ImageBrowserModel(ctx.db)
    sync_to_url(model, URL_KEYS, check=check_url_value, write=url_text)
    return pn.Column(
        pn.pane.HTML("<h2 style='margin:8px 0'>Images</h2>", margin=0),
        ImageBrowserView(model=model),
        sizing_mode="stretch_width",
    )
