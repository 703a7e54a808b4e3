"""The QA page's view-model and its view outside a server, on real databases (SQLite and
PostgreSQL): the range from the URL's values, bad values named, the grade counts, nights,
worst images, picking the nearest image, a box of images, and flagging refused with the
reason when nobody is signed in."""

from __future__ import annotations

import math

import numpy as np
import pytest
from factories import MJD0, UNIX0, defaults, insert

from dsa110_dashboard.science.times import unix_to_mjd
from dsa110_dashboard.viewmodels.qa import QAModel
from dsa110_dashboard.views.qa import QAPageView, grades_html, nights_html, worst_html
from dsa110_dashboard.views.qa_plots import (
    GRADE_ORDER,
    PLOT_COLOURS,
    grade_raster,
    overlay_rows,
)


def put(conn, table: str, n: int, **values):
    """A row of ``table`` with the factories' n-th defaults (its MS, path, times)."""
    return insert(conn, table, **{**defaults(table, n), **values})


@pytest.fixture
def model(db):
    with db.transaction() as conn:
        for n in range(8):
            put(conn, "ms_index", n)
            put(conn, "images", n, dynamic_range=[2000, 500, 50, 5, None, 500, 500,
                                                       500][n],
                   noise_jy=None if n == 4 else 3e-4 * (1 + n),
                   integration_sec=300.0, bandwidth_mhz=187.5)
    m = QAModel(db, now=lambda: UNIX0 + 86400)
    m.param.update(start=f"{MJD0 - 0.1}", end=f"{MJD0 + 1}")
    m.refresh()
    return m


def test_loads_range_and_derives(model):
    assert model.error is None and len(model.points) == 8
    counts = model.grade_counts()["derived-from-dynamic-range"]
    assert counts == {"excellent": 1, "good": 4, "marginal": 1, "poor": 1, "unknown": 1}
    nights = model.nights()
    assert list(nights["night"]) == ["2025-10-17"] and nights["images"].iloc[0] == 8
    assert nights["worst_dr"].iloc[0] == 5.0
    worst = model.worst(3)
    assert list(worst["grade"]) == ["poor", "marginal", "good"]  # unknown is no evidence
    assert model.points["expected_noise"].iloc[0] == pytest.approx(0.3)
    assert "poor" in grades_html(model.grade_counts()) and "2025-10-17" in nights_html(model)
    assert "/api/v1/images/4/thumbnail.png" in worst_html(model)


def test_missing_values_are_their_own_series(model):
    measured, missing = model.series("noise")
    assert len(measured) == 7 and list(missing["image_id"]) == [5]
    assert not (measured["noise"] == 0).any()


def test_nearest_and_box(model):
    pts = model.points
    third = pts.iloc[2]
    row = model.nearest("noise", third["mjd"], math.log10(third["noise"]), 1.0, 1.0, 0.02,
                        log=True)
    assert row["image_id"] == third["image_id"]
    assert model.nearest("noise", MJD0 + 5, 0.0, 1.0, 1.0, 0.02, log=True) is None
    on_rug = model.nearest("noise", pts.iloc[4]["mjd"], None, 1.0, None, 0.02)
    assert on_rug["image_id"] == 5
    ids = model.in_box("dynamic_range", pts["mjd"].min() - 1, pts["mjd"].max() + 1,
                       math.log10(40), math.log10(600), log=True)
    assert sorted(ids) == [2, 3, 6, 7, 8]


@pytest.mark.parametrize("start, end, parameter", [("yesterday", "", "from"),
                                                   (f"{MJD0 + 1}", f"{MJD0}", "to")])
def test_bad_range_named(db, start, end, parameter):
    m = QAModel(db)
    m.param.update(start=start, end=end)
    m.refresh()
    assert m.loaded is None and m.error.startswith(f"{parameter}:")


def test_flagging_needs_a_signed_in_user(model):
    model.identify_user()  # sign-in off: no user
    assert model.flag_block
    model.select([1, 2])
    model.flag_selection("bad", "rfi")
    assert not model.action_ok and model.action_message == model.flag_block


def test_view_renders_plots_outside_a_server(model):
    view = QAPageView(model=model)
    view.__panel__()
    assert view._plots and all(p.figure is not None for p in view._plots)
    assert "8 images" in view.summary.object
    assert "Dec" not in view.summary.object


def test_the_summary_names_the_strip_its_load_was_read_for(model):
    """Made on the worker from the load's own query (a scratch model there has no
    strip of its own)."""
    model.dec_min = -10.0
    view = QAPageView(model=model)
    view.__panel__()
    assert "Dec -10.0° to 90°" in view.summary.object
    model.dec_max = 80.0  # outside a server: read again at once
    assert "Dec -10.0° to 80.0°" in view.summary.object


def test_raster_keeps_the_worst_grade():
    import pandas as pd

    x = np.array([0.5, 0.5, 0.5])
    y = np.array([0.5, 0.5, 0.5])
    grade = pd.Series(["excellent", "poor", "good"])
    image = grade_raster(x, y, grade, (0, 1), (0, 1), 10, 10)
    assert image[5, 5] == 1 + GRADE_ORDER.index("poor")  # the worst wins


def test_overlay_keeps_every_bad_point_within_its_limit():
    import pandas as pd

    frame = pd.DataFrame({"mjd": np.arange(5000.0), "grade": ["good"] * 4990 + ["poor"] * 10})
    shown = overlay_rows(frame, 100)
    assert len(shown) == 100 and (shown["grade"] == "poor").sum() == 10


def test_default_range_is_the_last_week(db):
    m = QAModel(db, now=lambda: UNIX0)
    start, end = m.time_range()
    assert end == pytest.approx(unix_to_mjd(UNIX0)) and end - start == pytest.approx(7.0)


def test_signed_in_user_flags_a_selection(model):
    model._identify = lambda: "alice"
    model.identify_user()
    assert model.flag_block is None
    model.select([2, 3])
    model.flag_selection("bad", "striping")
    assert model.action_ok, model.action_message
    flagged = model.points.set_index("image_id")["flag"]
    assert flagged[2] == "bad" and flagged[3] == "bad" and not isinstance(flagged[1], str)
    model.refresh()  # read back from the table
    assert model.points.set_index("image_id")["flag"][3] == "bad"
    assert model.nights()["flags"].iloc[0] == {"bad": 2}


def test_unknown_verdict_refused(model):
    model.user = "alice"
    model.select([1])
    model.flag_selection("awful", "")
    assert not model.action_ok and "awful" in model.action_message


def test_a_metric_no_image_of_the_range_has_is_named_not_drawn(model):
    view = QAPageView(model=model)
    view.__panel__()
    drawn = {p.metric for p in view._plots}
    assert {"noise", "dynamic_range"} <= drawn
    # No image_qa rows and no catalogue comparison here: named under the plots.
    assert not {"num_sources", "flux_scale_ratio", "astrometry_offset"} & drawn
    notes = view.lists.object  # under the plots: the first thing in the lists pane
    assert notes.startswith("<ul class='dsa-note dsa-qa-unmeasured'")
    assert "Flux-scale ratio" in notes and "none of the 8 images of this range" in notes
    assert "batch start qa" in notes


def test_a_section_is_built_when_first_opened_after_each_load(model):
    view = QAPageView(model=model)
    view.__panel__()
    assert model.section == "image" and view.tabs.active == 0
    assert {p.metric for p in view._plots} == {"noise", "dynamic_range"}
    assert not len(view._sections["beam"])  # not built: no figure in the first document
    model.section = "beam"  # as the URL's plots=beam or a click on the tab sets it
    assert view.tabs.active == 1
    assert {p.metric for p in view._plots} >= {"beam_major", "beam_minor", "beam_pa"}
    view.tabs.active = 2  # a click on the third tab
    assert model.section == "calibration"
    # A new load builds only the open section again.
    view._render_all()
    assert view._built == {"calibration"} and not view._plots
    assert not len(view._sections["image"])


def test_the_fetch_builds_the_open_sections_figures_and_the_show_attaches_them(model):
    view = QAPageView(model=model)
    before = model.loaded
    result, prebuilt = view._fetch()
    assert prebuilt.section == "image" and prebuilt.loaded is result
    assert model.loaded is before  # nothing on the page changed on the worker
    built_plots = prebuilt.built[1]
    view._show((result, prebuilt))
    assert view._plots == built_plots and view._x_range is prebuilt.x_range
    assert {p.metric for p in view._plots} == {"noise", "dynamic_range"}
    # A section opened while the fetch ran: its figures are built at the show.
    result, prebuilt = view._fetch()
    model.section = "beam"
    view._show((result, prebuilt))
    assert view._built == {"beam"} and not set(prebuilt.built[1]) & set(view._plots)


def test_trend_colours_and_hover_time_are_made_in_the_browser(model):
    view = QAPageView(model=model)
    view.__panel__()
    fig = view._plots[0].figure
    points = next(r for r in fig.renderers if "y_noise" in str(getattr(r.glyph, "y", "")))
    data = points.data_source.data
    assert not {"colour", "line", "when"} & set(data)  # no per-row strings for them
    assert data["image_id"].dtype == np.int32
    fill = points.glyph.fill_color.transform
    assert dict(zip(fill.factors, fill.palette))["poor"] == PLOT_COLOURS["poor"]
    ring = points.glyph.line_color.transform
    assert list(ring.factors) == ["bad"] and ring.nan_color == "rgba(0, 0, 0, 0)"
    hovers = [t for t in fig.tools if getattr(t, "tooltips", None)]
    assert all(dict(t.tooltips)["observed"] == "@x{%Y-%m-%d %H:%M}"
               and t.formatters == {"@x": "datetime"} for t in hovers)


def test_bands_are_one_strip_glyph_and_the_time_axis_is_shared(model):
    from bokeh.models import DatetimeAxis, HStrip

    from dsa110_dashboard.views.qa_plots import BANDS, MISSING_COLOUR

    view = QAPageView(model=model)
    view.__panel__()
    dr = next(p for p in view._plots if p.metric == "dynamic_range")
    strips = [r for r in dr.figure.renderers if isinstance(r.glyph, HStrip)]
    assert len(strips) == 1 and strips[0].level == "underlay"
    data = strips[0].data_source.data
    # DR <= 10 poor, 10-100 marginal (drawn in log10), then the "no value" row.
    assert data["colour"] == [*(c for _l, _h, c, _t in BANDS["dynamic_range"]), MISSING_COLOUR]
    assert data["y1"][0] == pytest.approx(1.0) and data["y0"][1] == pytest.approx(1.0)
    assert data["y1"][1] == pytest.approx(2.0)
    y0, y1 = dr.figure.y_range.start, dr.figure.y_range.end
    assert data["y0"][0] < y0 - 10 * (y1 - y0), "an open band reaches past any zoom"
    # Box select acts on the points, not the bands.
    select = next(t for t in dr.figure.tools if type(t).__name__ == "BoxSelectTool")
    assert [type(r.glyph).__name__ for r in select.renderers] == ["Scatter"]
    axes = [p.figure.below[0] for p in view._plots]
    assert all(isinstance(a, DatetimeAxis) for a in axes)
    assert len({id(a.ticker) for a in axes}) == 1 and len(axes) > 1


def test_the_first_raster_is_kept_unless_far_from_the_frame_size(model, monkeypatch):
    from dsa110_dashboard.views import qa_plots

    monkeypatch.setattr(qa_plots, "RASTER_ABOVE", 2)  # rastered with this model's points
    view = QAPageView(model=model)
    view.__panel__()
    plot = next(p for p in view._plots if p.rastered)
    first = plot.bulk_source.data["image"][0]
    assert plot.image_px == qa_plots.FIRST_FRAME_PX
    # The frames of 1280- and 1920-pixel windows (549-885 measured) keep the first image.
    for width in (549, 885):
        view._resized(plot, "inner_width", width)
        view._resized(plot, "inner_height", 184)
        assert plot.bulk_source.data["image"][0] is first
        assert plot.frame_px == (width, 184)
    view._resized(plot, "inner_width", 1400)  # too coarse: drawn at the frame's size
    assert plot.image_px == (1400, 184)
    assert plot.bulk_source.data["image"][0].shape == (184, 1400)


def test_a_range_that_cannot_be_read_leaves_nothing_of_the_last_one(model):
    view = QAPageView(model=model)
    view.__panel__()
    assert "8 images" in view.summary.object and "Per night" in view.lists.object
    model.start = "not a time"  # outside a server: read again at once
    assert view.alert.visible and "QA unavailable" in view.alert.object
    assert view.summary.object == "" and view.lists.object == ""
    assert not len(view.plots)


def test_a_range_without_images_says_so_instead_of_drawing_empty_plots(model):
    model.param.update(start="2001-01-01", end="2001-01-08")
    view = QAPageView(model=model)
    view.__panel__()
    assert model.error is None and "<b>0 images</b>" in view.summary.object
    assert not view._plots
    section = view._sections["image"]
    assert "No image was observed in this range." in section[0].object
