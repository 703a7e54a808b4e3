"""QA trends on SQLite and PostgreSQL: one row per image of the range and strip, the
latest image_qa assessment's metrics over the image row's, missing values kept missing
(never 0), metrics without a column reported unmeasured, and the binned series."""

from __future__ import annotations

import math

import pytest
from factories import MJD0, UNIX0, defaults, insert

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.repositories.qa_trends import QATrends, calibrator_ratios, check_range


def put(conn, table: str, n: int, **values):
    """A row of ``table`` with the factories' n-th defaults (its MS, path, times)."""
    return insert(conn, table, **{**defaults(table, n), **values})


@pytest.fixture
def trends(db):
    with db.transaction() as conn:
        for n in range(6):
            put(conn, "ms_index", n)
        # 0: measured twice (the later assessment counts); 1: no image_qa, DR 5 -> poor;
        # 2: no noise and no DR anywhere; 3: another strip; 4: outside the range.
        put(conn, "images", 0, dynamic_range=50.0, noise_jy=1e-3)
        put(conn, "images", 1, dynamic_range=5.0)
        put(conn, "images", 2, dynamic_range=None, noise_jy=None)
        put(conn, "images", 3, center_dec_deg=16.3)
        put(conn, "images", 4, created_at=UNIX0 + 30 * 86400)
        put(conn, "image_qa", 0, rms_noise=4e-4, dynamic_range=800.0,
               overall_quality="marginal", timestamp=UNIX0 + 10, num_sources=120)
        put(conn, "image_qa", 0, rms_noise=3e-4, dynamic_range=1500.0,
               overall_quality="excellent", timestamp=UNIX0 + 20, num_sources=150)
    return QATrends(db)


def test_points_in_range_and_strip(trends):
    pts = trends.points(MJD0 - 0.1, MJD0 + 1, 50.0, 60.0)
    assert list(pts["image_id"]) == [1, 2, 3]  # image 4 (id 5) is outside, 3 (id 4) off-strip
    first = pts.iloc[0]
    assert first["grade"] == "excellent" and first["grade_kind"] == "measured"
    assert first["noise"] == pytest.approx(0.3) and first["dynamic_range"] == 1500.0
    assert first["num_sources"] == 150
    poor = pts.iloc[1]
    assert poor["grade"] == "poor" and poor["grade_kind"] == "derived-from-dynamic-range"
    missing = pts.iloc[2]
    assert math.isnan(missing["noise"]) and math.isnan(missing["dynamic_range"])
    assert missing["grade"] == "unknown"
    assert pts["mjd"].iloc[0] == pytest.approx(MJD0)  # the observation's time
    everything = trends.points(MJD0 - 0.1, MJD0 + 1)
    assert len(everything) == 4


def test_unmeasured_metrics_named(trends):
    missing = trends.unmeasured()
    assert "noise" not in missing and "num_sources" not in missing
    assert {"flux_scale_ratio", "astrometry_offset"} <= set(missing)


def test_binned_series_nulls_not_zeros(trends):
    body = trends.binned("noise", MJD0 - 0.1, MJD0 + 0.9, 10)
    assert body["unit"] == "mJy/beam" and body["measured"] is True
    assert sum(b["n_images"] for b in body["bins"]) == 4
    assert sum(b["n_measured"] for b in body["bins"]) == 3
    empty = [b for b in body["bins"] if b["n_images"] == 0]
    assert empty and all(b["median"] is None for b in empty)


@pytest.mark.parametrize("metric, start, end, bins, parameter", [
    ("bogus", 0, 1, 1, "metric"), ("noise", 2, 1, 1, "to"), ("noise", 0, 1, 0, "bins"),
    ("noise", 0, 5000, 1, "to")])
def test_bad_requests_named(metric, start, end, bins, parameter):
    with pytest.raises(InvalidInputError) as info:
        check_range(metric, start, end, bins)
    assert info.value.parameter == parameter


def test_calibrator_ratios(db):
    with db.transaction() as conn:
        put(conn, "photometry", 1, ra_deg=128.7291, dec_deg=55.5731, flux_jy=8.36,
               mjd=MJD0 + 0.1, source_id="0834+555")
        put(conn, "photometry", 2, ra_deg=128.9, dec_deg=55.573, flux_jy=1.0,
               mjd=MJD0 + 0.1)  # 6 arcmin away: not the calibrator
    found = calibrator_ratios(db, MJD0, MJD0 + 1)
    assert list(found["calibrator"]) == ["0834+555"]
    assert found["ratio"].iloc[0] == pytest.approx(0.95)
