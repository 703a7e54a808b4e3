"""Overview page (``/``): is the pipeline healthy and keeping up?

Health light, freshness, the latest image, images per hour, image QA, counts and sky
coverage; see ``dsa110_dashboard.views.overview`` for the cards and
``dsa110_dashboard.viewmodels.overview`` for what they read.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.overview import OverviewModel
from dsa110_dashboard.views.overview import OverviewPage

TITLE = "Overview"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    model = OverviewModel(ctx.db, count_cache_seconds=ctx.settings.count_cache_seconds)
    return OverviewPage(model=model)
