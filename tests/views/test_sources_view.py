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
