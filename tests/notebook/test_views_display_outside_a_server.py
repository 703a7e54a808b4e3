"""Every view displays outside a server, as in a Jupyter notebook after pn.extension().

``get_root()`` builds the Bokeh models a notebook would render; outside a server each view
loads its data at once, so the rendered models carry real content.
"""

import panel as pn
import pytest
import sqlalchemy as sa

from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.demo.build import build_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("nb-demo")
    build_demo(out, days=1, size=256, seed=5)
    db = Database(settings_for(str(out / "pipeline.sqlite3"),
                               DSA110_DASH_DATA_DIR=str(out)))
    pn.extension("tabulator")
    yield db
    db.dispose()


def first(db, sql):
    with db.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def render(view):
    root = pn.panel(view).get_root()
    assert root is not None
    return root


def test_overview_page_and_a_card(demo):
    from dsa110_dashboard.viewmodels.overview import OverviewModel
    from dsa110_dashboard.views.overview import OverviewPage
    from dsa110_dashboard.views.overview.freshness import FreshnessCard

    model = OverviewModel(demo)
    render(OverviewPage(model=model))
    render(FreshnessCard(model=model))
    assert model.snapshot is not None, "outside a server the overview loads at once"


def test_image_browser(demo):
    from dsa110_dashboard.viewmodels.image_browser import ImageBrowserModel
    from dsa110_dashboard.views.image_browser import ImageBrowserView

    model = ImageBrowserModel(demo)
    render(ImageBrowserView(model=model))
    assert model.total == first(demo, "SELECT count(*) FROM images")
    assert len(model.rows) > 0


def test_image_detail(demo):
    from dsa110_dashboard.viewmodels.image_detail import ImageDetailModel
    from dsa110_dashboard.views.image_detail import ImageDetailView

    image_id = first(demo, "SELECT max(id) FROM images")
    model = ImageDetailModel(demo, demo.settings)
    render(ImageDetailView(model=model, raw_id=str(image_id)))
    assert model.failure is None and model.image_id == image_id and model.data is not None


def test_sources_views(demo):
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


def test_source_detail(demo):
    from dsa110_dashboard.viewmodels.source_detail import SourceDetailModel
    from dsa110_dashboard.views.source_detail import SourceDetailView

    source_id = first(demo, "SELECT source_id FROM variability_stats ORDER BY n_obs DESC "
                            "LIMIT 1")
    model = SourceDetailModel(demo, source_id)
    render(SourceDetailView(model=model))
    assert model.record is not None and len(model.lightcurve) > 0
