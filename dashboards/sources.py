"""Sources page (``/sources``): search, the eta-V plot and the ESE candidates.

Every input is in the URL (search, cone, filters, sort, page, thresholds, selection):
a copied link reproduces the view.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.eta_v import EtaVModel
from dsa110_dashboard.viewmodels.sources import EseCandidatesModel, SourceSearchModel
from dsa110_dashboard.views.eta_v import EtaVView
from dsa110_dashboard.views.urlstate import sync_to_url
from dsa110_dashboard.views.sources import EseCandidatesView, SourceSearchView

TITLE = "Sources"

SEARCH_KEYS = {"name_query": "q", "position": "pos", "radius": "radius", "sort": "sort",
               "descending": "desc", "page": "page"}
ETA_V_KEYS = {"eta_threshold": "eta_thr", "v_threshold": "v_thr", "k": "k",
              "selected": "sel"}


def page(ctx: AppContext) -> pn.viewable.Viewable:
    search = SourceSearchModel(ctx.db)
    keys = {**SEARCH_KEYS, **{q: q for q in search.QUERY if q not in SEARCH_KEYS}}
    sync_to_url(search, keys)
    eta_v = EtaVModel(ctx.db)
    sync_to_url(eta_v, ETA_V_KEYS)
    ese = EseCandidatesModel(ctx.db)
    sync_to_url(ese, {"status": "ese"})
    return pn.Column(
        pn.pane.Markdown("## Sources"),
        SourceSearchView(model=search),
        pn.pane.Markdown("### Variability: η–V"),
        EtaVView(model=eta_v),
        pn.pane.Markdown("### Extreme-scattering-event candidates"),
        EseCandidatesView(model=ese),
        sizing_mode="stretch_width",
    )
