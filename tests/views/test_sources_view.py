"""The source search's table outside a server: η and χ²ν about the weighted mean are one
number, so the table shows one column for them unless the stored values differ."""

from __future__ import annotations

import html
import re

import pytest

from dsa110_dashboard.viewmodels.sources import SourceSearchModel
from dsa110_dashboard.views.sources import ETA_CHI2_TITLE, ETA_TIP, SourceSearchView
from factories import insert


def search_view(db, rows) -> SourceSearchView:
    with db.transaction() as conn:
        for i, (eta, chi2) in enumerate(rows):
            insert(conn, "variability_stats", source_id=f"NVSS J0000{i:02d}.0+540000",
                   ra_deg=1.0 + i, dec_deg=54.0, eta_metric=eta, chi2_nu=chi2, n_obs=10)
    view = SourceSearchView(model=SourceSearchModel(db))
    view.__panel__()  # outside a server: searches now
    return view


def headers(view) -> list[str]:
    return re.findall(r"<th[^>]*>([^<]*)</th>", view._table.object)


def test_eta_equal_to_chi2_is_one_column(db):
    view = search_view(db, [(2.5, 2.5), (0.8, 0.8), (None, None)])
    assert ETA_CHI2_TITLE in headers(view) and "χ²ν" not in headers(view)
    assert f"title='{html.escape(ETA_TIP)}'>{ETA_CHI2_TITLE}</th>" in view._table.object


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_stored_eta_and_chi2_that_differ_keep_two_columns(db):
    view = search_view(db, [(2.5, 2.5), (0.8, 1.9)])
    assert "η" in headers(view) and "χ²ν" in headers(view)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_search_table_links_formats_and_leaves_missing_blank(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id="NVSS J000001.0+54<b>", ra_deg=1.23456,
               dec_deg=54.0, eta_metric=None, chi2_nu=None, n_obs=12345,
               nvss_flux_mjy=1234.56, last_mjd=60967.58349)
    view = search_view(db, [])
    out = view._table.object
    assert view._table.visible and out.count("<tr>") == 2
    assert "href=\"/sources/NVSS%20J000001.0%2B54%3Cb%3E\"" in out
    assert "54&lt;b&gt;</a>" in out and "<b>" not in out
    cells = re.findall(r"<td class='([^']*)'>([^<]*)</td>", out)
    assert ("dsa-num", "1.2346") in cells  # RA
    assert ("dsa-num", "1,234.6") in cells and ("dsa-num", "12,345") in cells
    assert ("dsa-num", "60967.583") in cells  # an MJD has no thousands separator
    assert ("dsa-num", "") in cells  # no eta: blank, not NaN


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_no_results_hide_the_table(db):
    view = search_view(db, [])
    assert view._table.object == "" and not view._table.visible


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_ese_table_shows_one_page_of_many_flags_and_pages(db):
    from dsa110_dashboard.viewmodels.sources import EseCandidatesModel
    from dsa110_dashboard.views.sources import EseCandidatesView

    size = EseCandidatesModel.PAGE_SIZE
    flags = 3 * size + 1
    with db.transaction() as conn:
        for i in range(flags):
            insert(conn, "ese_candidates", source_id=f"NVSS J0000{i:02d}.0+540000")
    view = EseCandidatesView(model=EseCandidatesModel(db))
    view.__panel__()  # outside a server: fetches now
    m = view.model
    assert m.total == flags and m.page_count == 4
    shown = view._table.object
    assert shown.count("<tr>") == size + 1  # the header and one page of rows
    assert "/sources/NVSS%20J000000.0%2B540000" in shown
    assert view._pager.range.object == f"ESE flags 1–{size} of {flags}"
    assert view._pager.prev.disabled and not view._pager.next.disabled
    view._pager.next.clicks += 1  # Next
    assert m.page == 2 and "J000010.0" in view._table.object
    assert "J000000.0" not in view._table.object
    m.go_to_page(4)
    assert view._table.object.count("<tr>") == 2 and view._pager.next.disabled
    assert view._pager.range.object == f"ESE flags {flags}–{flags} of {flags}"
    m.status = "all"  # a new list starts on its first page
    view.refresh()
    assert m.page == 1


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
def test_the_ese_panes_are_made_once_and_each_list_replaces_their_text(db):
    """Decision 0087: the pager and table exist from the start ("Loading…"); a list,
    the first or a later one, changes their text only (no new views to lay out)."""
    from dsa110_dashboard.viewmodels.sources import EseCandidatesModel
    from dsa110_dashboard.views.sources import EseCandidatesView

    with db.transaction() as conn:
        insert(conn, "ese_candidates", source_id="NVSS J000001.0+540000")
    view = EseCandidatesView(model=EseCandidatesModel(db))
    table, pager = view._table, view._pager.layout
    assert list(view._holder) == [pager, table] and "Loading" in table.object
    view.refresh()
    assert table.object.count("<tr>") == 2 and "J000001.0" in table.object
    view.model.status = "all"
    view.refresh()
    assert view._table is table and list(view._holder) == [pager, table]


def test_the_first_eta_v_image_is_kept_unless_far_from_the_frame_size():
    from dsa110_dashboard.views.eta_v import FIRST_FRAME_PX
    from dsa110_dashboard.views.raster_size import needs_resample

    # The frames of 1280- and 1920-pixel windows (1132-1787 measured) keep the first image.
    assert not needs_resample(FIRST_FRAME_PX, (1132, 401))
    assert not needs_resample(FIRST_FRAME_PX, (1787, 410))
    assert needs_resample(FIRST_FRAME_PX, (2500, 410))  # too coarse
    assert needs_resample(FIRST_FRAME_PX, (900, 410))  # too fine
    assert needs_resample(FIRST_FRAME_PX, (1440, 200))


def test_the_ese_table_escapes_text_and_leaves_missing_numbers_blank():
    import pandas as pd

    from dsa110_dashboard.views.sources import ese_table_html

    rows = pd.DataFrame([{"source_id": 'NVSS J0<b>"', "status": "active",
                          "significance": float("nan"), "flag_type": "variability",
                          "flagged_at": None, "eta_metric": 2.5, "v": None,
                          "sigma_deviation": float("inf"),
                          "notes": "<script>alert(1)</script> & 'x'"}])
    out = ese_table_html(rows)
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in out
    assert "<b>" not in out and "NVSS J0&lt;b&gt;&quot;" in out
    assert "2.500" in out and "nan" not in out.lower() and "inf" not in out.lower()
    assert "None" not in out
    assert ese_table_html(rows.iloc[:0]) == ""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_ese_list_that_cannot_be_read_leaves_no_other_list_and_no_pager(db):
    from dsa110_dashboard.errors import DashboardError
    from dsa110_dashboard.viewmodels.sources import EseCandidatesModel
    from dsa110_dashboard.views.sources import EseCandidatesView

    with db.transaction() as conn:
        insert(conn, "ese_candidates", source_id="NVSS J000001.0+540000")
    view = EseCandidatesView(model=EseCandidatesModel(db))
    view.refresh()
    assert view._table.visible and view._pager.layout.visible
    view.model.status = "dismissed"
    view.model.apply(DashboardError("the database is locked"))
    assert view.model.rows.empty and view.model.total is None
    assert not view._table.visible and not view._pager.layout.visible
    assert view._alert.visible and "locked" in view._alert.object
    view.refresh()  # no dismissed flags: said once, by the pager
    assert view._pager.layout.visible and not view._table.visible
    assert view._pager.range.object == "No ESE flags match."

