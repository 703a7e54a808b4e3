"""The Overview page's cards: each a ``Viewer`` over one shared ``OverviewModel``, so any
card can be shown alone (``pn.extension(); LatestImageCard(model=OverviewModel(db))``)
and the page makes one fetch per refresh for all of them."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from ...viewmodels.overview import OverviewModel
from .counts import CountsCard
from .freshness import FreshnessCard
from .health import HealthCard
from .latest_image import LatestImageCard
from .qa_summary import QASummaryCard
from .refresh import attach
from .sky_map import SkyMapCard
from .throughput import ThroughputCard

__all__ = ["CountsCard", "FreshnessCard", "HealthCard", "LatestImageCard", "OverviewPage",
           "QASummaryCard", "SkyMapCard", "ThroughputCard"]


class OverviewPage(Viewer):
    """Every card in a wrapping grid: health, freshness and the latest image first."""

    model = param.ClassSelector(class_=OverviewModel)

    def __init__(self, **params):
        super().__init__(**params)
        cards = [cls(model=self.model) for cls in (
            HealthCard, FreshnessCard, LatestImageCard, ThroughputCard, QASummaryCard,
            CountsCard, SkyMapCard)]
        self._layout = pn.FlexBox(*cards, flex_wrap="wrap", align_items="stretch",
                                  sizing_mode="stretch_width", margin=0)

    def __panel__(self):
        attach(self.model)
        return self._layout
