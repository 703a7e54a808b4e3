"""Render every view as a notebook would, in a process of its own.

Run by test_views_display_outside_a_server.py as
``python render_views.py CHECK DB_PATH``: a fresh interpreter with no server in it, as a
Jupyter kernel is (in the test process, Bokeh's current document is process-global, so a
live test server's session could be taken for this code's). Exits non-zero, with the
assertion, when a check fails.
"""

import sys
from pathlib import Path

import panel as pn
import sqlalchemy as sa

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.settings import Settings


def first(db, sql):
    with db.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def render(view):
    root = pn.panel(view).get_root()
    assert root is not None
    return root


def check_overview_page_and_a_card(demo):
    from dsa110_dashboard.viewmodels.overview import OverviewModel
    from dsa110_dashboard.views.overview import OverviewPage
    from dsa110_dashboard.views.overview.freshness import FreshnessCard

    model = OverviewModel(demo)
    render(OverviewPage(model=model))
    render(FreshnessCard(model=model))
    assert model.snapshot is not None, "outside a server the overview loads at once"


def check_image_browser(demo):
    from dsa110_dashboard.viewmodels.image_browser import ImageBrowserModel
    from dsa110_dashboard.views.image_browser import ImageBrowserView

    model = ImageBrowserModel(demo)
    render(ImageBrowserView(model=model))
    assert model.total == first(demo, "SELECT count(*) FROM images")
    assert len(model.rows) > 0


def check_image_detail(demo):
    from dsa110_dashboard.viewmodels.image_detail import ImageDetailModel
    from dsa110_dashboard.views.image_detail import ImageDetailView

    image_id = first(demo, "SELECT max(id) FROM images")
    model = ImageDetailModel(demo, demo.settings)
    render(ImageDetailView(model=model, raw_id=str(image_id)))
    assert model.failure is None and model.image_id == image_id and model.data is not None


def check_sources_views(demo):
    from dsa110_dashboard.viewmodels.eta_v import EtaVModel
    from dsa110_dashboard.viewmodels.sources import SourceSearchModel
    from dsa110_dashboard.views.eta_v import EtaVView
    from dsa110_dashboard.views.sources import SourceSearchView

    search = SourceSearchModel(demo)
    render(SourceSearchView(model=search))
    assert search.total > 0
    eta_v = EtaVModel(demo)
    render(EtaVView(model=eta_v))
    assert len(eta_v.points) > 0
    assert eta_v.v_note == "", "the demo fills dash_variability, so V is ours"


def check_source_detail(demo):
    from dsa110_dashboard.viewmodels.source_detail import SourceDetailModel
    from dsa110_dashboard.views.source_detail import SourceDetailView

    source_id = first(demo, "SELECT source_id FROM variability_stats ORDER BY n_obs DESC "
                            "LIMIT 1")
    model = SourceDetailModel(demo, source_id)
    render(SourceDetailView(model=model))
    assert model.record is not None and len(model.lightcurve) > 0


if __name__ == "__main__":
    check, path = sys.argv[1], sys.argv[2]
    pn.extension("tabulator")
    # The demo's images lie beside its database: that directory is the data root.
    database = Database(Settings.load(environ={"DSA110_DASH_DB": path,
                                               "DSA110_DASH_DATA_DIR": str(Path(path).parent)}))
    globals()[f"check_{check}"](database)
    print(f"{check}: ok")
