"""The lightcurve plot's Bokeh models follow the source page's model: data in mJy, the
status of every epoch, the time axis, the selected epoch's ring, and a click selecting
the nearest epoch. Outside a server (no browser needed); a real database."""

from __future__ import annotations

import numpy as np
import pytest
from bokeh import events
from bokeh.models import DatetimeTickFormatter, Legend

from dsa110_dashboard.viewmodels.source_detail import SourceDetailModel
from dsa110_dashboard.views.lightcurve import LightcurvePlot, data_ranges
from factories import MJD0, UNIX0, insert

SOURCE = "NVSS J123456.7+420312"
FLUX = [0.050, 0.052, 0.049, 0.120, 0.051, 0.050]
ERR = [0.001, 0.002, float("nan"), 0.001, 0.001, 0.001]


@pytest.fixture
def model(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id=SOURCE, ra_deg=188.736, dec_deg=42.053,
               n_obs=6)
        for i, (f, e) in enumerate(zip(FLUX, ERR)):
            img = insert(conn, "images", path=f"/data/images/lc{i}-image.fits")
            insert(conn, "image_qa", image_path=img["path"], timestamp=UNIX0 + i,
                   overall_quality="poor" if i == 3 else "good")
            insert(conn, "photometry", source_id=SOURCE, image_path=img["path"],
                   ra_deg=188.736, dec_deg=42.053, mjd=MJD0 + i, normalized_flux_jy=f,
                   normalized_flux_err_jy=e, flux_jy=f * 2, flux_err_jy=0.002, snr=40.0 + i,
                   peak_jyb=f * 3, peak_err_jyb=0.003)
    m = SourceDetailModel(db, SOURCE)
    m.refresh()
    return m


def test_points_in_mjy_with_error_bars_and_status(model):
    plot = LightcurvePlot(model=model)
    data = plot._source.data
    assert np.allclose(data["flux"], np.array(FLUX) * 1000)
    assert np.allclose(data["x"], MJD0 + np.arange(6))
    assert np.allclose(data["hi"][:2], [51.0, 54.0])
    assert np.isnan(data["lo"][2])  # a NaN error draws no bar
    assert list(data["status"]) == ["included"] * 3 + ["qa failed"] + ["included"] * 2
    assert {k: i.visible for k, i in plot._legend.items()} == {
        "included": True, "qa failed": True, "flagged bad": False,
        "flagged bad, counted": False, "excluded": False}
    assert data["qa"][3] == "poor" and data["image"][0] == str(model.lightcurve["image_id"][0])
    assert plot.figure.xaxis[0].axis_label == "MJD (UTC)"
    assert plot.figure.yaxis[0].axis_label == "Flux density (mJy)"
    # The ranges show every point and its error bar.
    assert plot.figure.x_range.start < MJD0 < MJD0 + 5 < plot.figure.x_range.end
    assert plot.figure.y_range.start < 49.0 and plot.figure.y_range.end > 121.0


def test_exclusions_change_the_status_and_keep_the_zoom(model):
    plot = LightcurvePlot(model=model)
    plot.figure.x_range.update(start=MJD0 + 1, end=MJD0 + 2)  # as a user's zoom does
    first = int(model.lightcurve["photometry_id"].iat[0])
    model.toggle_epoch(first)
    model.exclude_qa = False
    assert list(plot._source.data["status"]) == ["excluded"] + ["included"] * 5
    assert {k: i.visible for k, i in plot._legend.items()} == {
        "included": True, "qa failed": False, "flagged bad": False,
        "flagged bad, counted": False, "excluded": True}
    assert (plot.figure.x_range.start, plot.figure.x_range.end) == (MJD0 + 1, MJD0 + 2)


def test_an_epoch_whose_image_is_flagged_bad_is_marked_and_left_out(model):
    from dsa110_dashboard.repositories.flags import ImageFlags

    image_id = int(model.lightcurve["image_id"].iat[1])
    ImageFlags(model.repo.db).flag([image_id], "bad", "ghost", "alice")
    model.refresh()
    plot = LightcurvePlot(model=model)
    assert list(plot._source.data["status"]) == (
        ["included", "flagged bad", "included", "qa failed", "included", "included"])
    assert plot._source.data["flag"][1] == "bad (alice)" and plot._source.data["flag"][0] == "—"
    assert plot._legend["flagged bad"].visible
    assert model.stats["n_epochs"] == 4
    model.include_flagged = True
    assert plot._source.data["status"][1] == "flagged bad, counted"
    assert plot._legend["flagged bad, counted"].visible and not plot._legend["flagged bad"].visible
    assert model.stats["n_epochs"] == 5


def test_time_axis_and_flux_column(model):
    plot = LightcurvePlot(model=model)
    model.time_axis = "date"
    x = np.asarray(plot._source.data["x"])
    assert np.allclose(x, (MJD0 + np.arange(6) - 40587.0) * 86400_000.0)
    assert isinstance(plot.figure.xaxis[0].formatter, DatetimeTickFormatter)
    assert plot.figure.xaxis[0].formatter.days == "%Y-%m-%d"  # not 10/14
    assert plot.figure.xaxis[0].axis_label == "Date (UTC)"
    assert plot.figure.x_range.start < x.min() and plot.figure.x_range.end > x.max()
    model.flux = "peak"
    model.refresh()
    assert np.allclose(plot._source.data["flux"], np.array(FLUX) * 3000)
    assert plot.figure.yaxis[0].axis_label == "Flux density (mJy/beam)"
    assert dict(plot._hover.tooltips)["flux"].endswith(" mJy/beam")
    model.time_axis = "mjd"
    assert plot.figure.xaxis[0].axis_label == "MJD (UTC)"


def test_a_click_selects_the_nearest_epoch_and_rings_it(model):
    plot = LightcurvePlot(model=model)
    fig = plot.figure
    fig._trigger_event(events.Tap(fig, x=MJD0 + 3.01, y=119.0))
    row = model.lightcurve.iloc[3]
    assert model.epoch == int(row["photometry_id"])
    assert list(plot._ring.data["x"]) == [MJD0 + 3]
    assert list(plot._ring.data["flux"]) == pytest.approx([120.0])
    # Far from every point: nothing new is selected.
    fig._trigger_event(events.Tap(fig, x=MJD0 + 0.5, y=100.0))
    assert model.epoch == int(row["photometry_id"])
    model.epoch = None
    assert list(plot._ring.data["x"]) == []


def test_an_empty_lightcurve_draws_an_empty_plot(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id=SOURCE, ra_deg=188.736, dec_deg=42.053)
    m = SourceDetailModel(db, SOURCE)
    m.refresh()
    plot = LightcurvePlot(model=m)
    assert len(plot._source.data["x"]) == 0
    assert (plot.figure.x_range.start, plot.figure.x_range.end) == (0.0, 1.0)
    plot.figure._trigger_event(events.Tap(plot.figure, x=0.5, y=0.5))
    assert m.epoch is None


def test_a_single_epoch_is_shown_with_a_day_either_side():
    columns = {"x": [MJD0], "flux": [50.0], "lo": [49.0], "hi": [51.0]}
    (x0, x1), (y0, y1) = data_ranges(columns, "mjd")
    assert (x0, x1) == (MJD0 - 1, MJD0 + 1)
    assert y0 < 49.0 and y1 > 51.0
    ms = (MJD0 - 40587.0) * 86400_000.0
    (x0, x1), _ = data_ranges({**columns, "x": [ms]}, "date")
    assert (x0, x1) == (ms - 86400_000.0, ms + 86400_000.0)


def test_the_legend_sits_above_the_plot_not_over_the_newest_epochs(model):
    fig = LightcurvePlot(model=model).figure
    assert not any(isinstance(r, Legend) for r in fig.center)
    assert [type(r) for r in fig.above] == [Legend]
