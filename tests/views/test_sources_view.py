"""The source search's table outside a server: η and χ²ν about the weighted mean are one
number, so the table shows one column for them unless the stored values differ."""

from __future__ import annotations

import pytest
from bokeh.models import ColumnDataSource

from dsa110_dashboard.viewmodels.sources import SourceSearchModel
from dsa110_dashboard.views.sources import ETA_CHI2_TITLE, SourceSearchView
from factories import insert


def search_view(db, rows) -> SourceSearchView:
    with db.transaction() as conn:
        for i, (eta, chi2) in enumerate(rows):
            insert(conn, "variability_stats", source_id=f"NVSS J0000{i:02d}.0+540000",
                   ra_deg=1.0 + i, dec_deg=54.0, eta_metric=eta, chi2_nu=chi2, n_obs=10)
    view = SourceSearchView(model=SourceSearchModel(db))
    view.__panel__()  # outside a server: searches now
    return view


def test_eta_equal_to_chi2_is_one_column(db):
    view = search_view(db, [(2.5, 2.5), (0.8, 0.8), (None, None)])
    columns = list(view._table.value.columns)
    assert "eta_metric" in columns and "chi2_nu" not in columns
    assert view._table.titles["eta_metric"] == ETA_CHI2_TITLE


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_stored_eta_and_chi2_that_differ_keep_two_columns(db):
    view = search_view(db, [(2.5, 2.5), (0.8, 1.9)])
    columns = list(view._table.value.columns)
    assert "eta_metric" in columns and "chi2_nu" in columns
    assert view._table.titles["eta_metric"] == "η"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_ese_table_sends_the_browser_one_page_of_many_flags(db):
    from dsa110_dashboard.viewmodels.sources import EseCandidatesModel
    from dsa110_dashboard.views.sources import ESE_PAGE_SIZE, EseCandidatesView

    flags = 3 * ESE_PAGE_SIZE + 1
    with db.transaction() as conn:
        for i in range(flags):
            insert(conn, "ese_candidates", source_id=f"NVSS J0000{i:02d}.0+540000")
    view = EseCandidatesView(model=EseCandidatesModel(db))
    view.__panel__()  # outside a server: fetches now
    assert len(view._table.value) == flags  # every flag, a page at a time
    root = view._table.get_root()
    sent = root.select_one({"type": ColumnDataSource}).data
    assert len(next(iter(sent.values()))) == ESE_PAGE_SIZE


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_filter_inputs_are_made_when_the_card_opens_or_a_filter_is_set(db):
    from dsa110_dashboard.viewmodels.sources import FILTERS

    view = SourceSearchView(model=SourceSearchModel(db))
    assert view._filters.collapsed and len(view._filters) == 0
    view._filters.collapsed = False
    inputs = view._filters[0]
    assert len(inputs) == len(FILTERS)
    view._filters.collapsed = True
    view._filters.collapsed = False
    assert view._filters[0] is inputs  # made once

    filtered = SourceSearchView(model=SourceSearchModel(db, eta_min=1.5))
    assert not filtered._filters.collapsed and len(filtered._filters[0]) == len(FILTERS)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_ese_table_is_made_when_its_list_arrives(db):
    """Below the fold (decision 0080): a spinner holds the table's place until the list
    is read; the first result makes the table, later ones update it."""
    import panel as pn

    from dsa110_dashboard.viewmodels.sources import EseCandidatesModel
    from dsa110_dashboard.views.sources import EseCandidatesView

    with db.transaction() as conn:
        insert(conn, "ese_candidates", source_id="NVSS J000001.0+540000")
    view = EseCandidatesView(model=EseCandidatesModel(db))
    assert view._table is None
    assert isinstance(view._holder[0], pn.indicators.LoadingSpinner)
    view.refresh()
    table = view._table
    assert list(view._holder) == [table] and len(table.value) == 1
    view.model.status = "all"
    view.refresh()
    assert view._table is table and list(view._holder) == [table]


def test_the_first_eta_v_image_is_kept_unless_far_from_the_frame_size():
    from dsa110_dashboard.views.eta_v import FIRST_FRAME_PX
    from dsa110_dashboard.views.raster_size import needs_resample

    # The frames of 1280- and 1920-pixel windows (1132-1787 measured) keep the first image.
    assert not needs_resample(FIRST_FRAME_PX, (1132, 401))
    assert not needs_resample(FIRST_FRAME_PX, (1787, 410))
    assert needs_resample(FIRST_FRAME_PX, (2500, 410))  # too coarse
    assert needs_resample(FIRST_FRAME_PX, (900, 410))  # too fine
    assert needs_resample(FIRST_FRAME_PX, (1440, 200))
