"""SourceSearchModel, EtaVModel and the coordinate parsing on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.science.coordinates import parse_position, parse_radius
from dsa110_dashboard.viewmodels.eta_v import EtaVModel, log_points, sigma_thresholds
from dsa110_dashboard.viewmodels.sources import (
    EseCandidatesModel,
    SourceSearchModel,
    source_url,
)
from dsa110_dashboard.views.urlstate import initial_values
from factories import insert, insert_many

RA0, DEC0 = 188.736, 42.053


def _stats_rows():
    """A source at the centre, one 1 arcmin north, one 3 arcmin east (on the sky), one
    across RA 0, and 20 faint others far away."""
    east = 3 / 60 / math.cos(math.radians(DEC0))  # 3 arcmin of great circle, ~RA offset
    rows = [
        dict(source_id="NVSS J123456.7+420312", ra_deg=RA0, dec_deg=DEC0, eta_metric=5.0,
             mean_flux_mjy=50.0, std_flux_mjy=10.0, n_obs=20, chi2_nu=5.0,
             sigma_deviation=3.0, nvss_flux_mjy=52.0),
        dict(source_id="NVSS J123456.8+420412", ra_deg=RA0, dec_deg=DEC0 + 1 / 60,
             eta_metric=0.8, mean_flux_mjy=20.0, std_flux_mjy=0.4, n_obs=18, chi2_nu=0.8,
             sigma_deviation=1.0, nvss_flux_mjy=21.0),
        dict(source_id="NVSS J123512.0+420312", ra_deg=RA0 + east, dec_deg=DEC0,
             eta_metric=2.0, mean_flux_mjy=30.0, std_flux_mjy=6.0, n_obs=3, chi2_nu=2.0,
             sigma_deviation=1.5, nvss_flux_mjy=None),
        dict(source_id="NVSS J235959.0+000000", ra_deg=359.99, dec_deg=0.0, eta_metric=None,
             mean_flux_mjy=None, std_flux_mjy=None, n_obs=1),
    ]
    rows += [dict(source_id=f"NVSS J0100{i:02d}.0+300000", ra_deg=15.0 + i * 0.01,
                  dec_deg=30.0, eta_metric=0.5 + i * 0.05, mean_flux_mjy=10.0 + i,
                  std_flux_mjy=0.2, n_obs=10, chi2_nu=1.0, sigma_deviation=1.0)
             for i in range(20)]
    keys = {k for r in rows for k in r}  # one statement: every row needs every key
    return [{k: r.get(k) for k in keys} for r in rows]


@pytest.fixture
def seeded(db):
    with db.transaction() as conn:
        insert_many(conn, "variability_stats", _stats_rows())
        insert(conn, "ese_candidates", source_id="NVSS J123456.7+420312", status="active",
               significance=6.0)
        insert(conn, "ese_candidates", source_id="NVSS J010001.0+300000", status="dismissed",
               significance=2.0)
    return db


# ---------------------------------------------------------------- coordinates
@pytest.mark.parametrize("text", ["12:34:56.7 +42:03:12", "12h34m56.7s +42d03m12s",
                                  "12 34 56.7 +42 03 12", "188.73625 42.05333",
                                  "188.73625, 42.05333"])
def test_positions_in_every_spelling(text):
    ra, dec = parse_position(text)
    assert ra == pytest.approx(188.73625, abs=2e-5) and dec == pytest.approx(42.05333, abs=2e-5)


@pytest.mark.parametrize("text, arcsec", [("30 arcsec", 30), ("2 arcmin", 120),
                                          ("0.5 deg", 1800), ('30"', 30), ("2'", 120),
                                          ("45", 45), ("1 degree", 3600)])
def test_radius_units(text, arcsec):
    assert parse_radius(text) * 3600 == pytest.approx(arcsec)


@pytest.mark.parametrize("fn, text, field", [(parse_position, "nowhere", "position"),
                                             (parse_position, "10 95", "position"),
                                             (parse_radius, "2 parsec", "radius"),
                                             (parse_radius, "0 arcsec", "radius")])
def test_bad_input_names_the_field(fn, text, field):
    with pytest.raises(InvalidInputError) as err:
        fn(text)
    assert err.value.parameter == field


# --------------------------------------------------------------------- search
def test_name_prefix_is_case_insensitive_and_nvss_optional(seeded):
    m = SourceSearchModel(seeded, name_query="j123456")
    m.refresh()
    assert m.error is None and m.total == 2
    assert list(m.rows["source_id"]) == ["NVSS J123456.7+420312", "NVSS J123456.8+420412"]
    m.name_query = "nvss j1234"
    m.refresh()
    assert m.total == 2


def test_cone_on_the_sphere_nearest_first_with_separation(seeded):
    m = SourceSearchModel(seeded, position="188.736 42.053", radius="2 arcmin")
    m.refresh()
    assert m.error is None
    assert list(m.rows["source_id"]) == ["NVSS J123456.7+420312", "NVSS J123456.8+420412"]
    assert m.rows["sep_arcsec"].iloc[1] == pytest.approx(60.0, abs=0.5)
    # 3 arcmin east of the centre in RA-degrees is ~4 arcmin: on the sphere it is 3.
    m.radius = "3.1 arcmin"
    m.refresh()
    assert m.total == 3
    m.radius = "2.9 arcmin"
    m.refresh()
    assert m.total == 2


def test_cone_across_ra_zero(seeded):
    m = SourceSearchModel(seeded, position="0.005 0.0", radius="1 arcmin")
    m.refresh()
    assert list(m.rows["source_id"]) == ["NVSS J235959.0+000000"]


def test_filters_on_statistics_in_sql_with_total_and_paging(seeded):
    m = SourceSearchModel(seeded, eta_min=0.9, page_size=5)
    m.refresh()
    expected = sorted([r for r in _stats_rows() if (r.get("eta_metric") or 0) >= 0.9],
                      key=lambda r: -r["eta_metric"])
    assert m.total == len(expected)
    assert list(m.rows["source_id"]) == [r["source_id"] for r in expected[:5]]
    m.page = 2
    m.refresh()
    assert list(m.rows["source_id"]) == [r["source_id"] for r in expected[5:10]]
    # V is std/mean here (no dash_variability row): 0.2 for the first, 0.02 the second.
    m.param.update(eta_min=None, v_min=0.1, page=1)
    m.refresh()
    assert set(m.rows["source_id"]) == {"NVSS J123456.7+420312", "NVSS J123512.0+420312"}
    m.param.update(v_min=None, n_min=15, nvss_max=30.0)
    m.refresh()
    assert list(m.rows["source_id"]) == ["NVSS J123456.8+420412"]


def test_everything_combined_and_sorted(seeded):
    m = SourceSearchModel(seeded, name_query="J12", position="188.736 42.053",
                          radius="0.1 deg", eta_min=1.0, sort="eta", descending=False)
    m.refresh()
    assert list(m.rows["source_id"]) == ["NVSS J123512.0+420312", "NVSS J123456.7+420312"]
    assert m.total == 2 and "sep_arcsec" in m.rows


def test_descending_is_honoured_for_the_default_sort_too(seeded):
    m = SourceSearchModel(seeded)
    m.refresh()
    etas = [e for e in m.rows["eta_metric"] if e == e]
    assert m.effective_descending() and etas == sorted(etas, reverse=True)
    m.descending = False  # the box unticked: eta lowest first
    m.refresh()
    etas = [e for e in m.rows["eta_metric"] if e == e]
    assert etas == sorted(etas)
    # A name search sorts by name, A to Z, and the box says so; ticked: Z to A.
    m.name_query = "J12"
    assert m.descending is None and not m.effective_descending()
    m.refresh()
    names = list(m.rows["source_id"])
    assert names == sorted(names)
    m.descending = True
    m.refresh()
    assert list(m.rows["source_id"]) == sorted(names, reverse=True)
    # A cone: nearest first; ticked: farthest first.
    m.param.update(name_query="", position="188.736 42.053", radius="5 arcmin")
    assert m.descending is None and not m.effective_descending()
    m.refresh()
    seps = list(m.rows["sep_arcsec"])
    assert seps == sorted(seps) and len(seps) == 3
    m.descending = True
    m.refresh()
    assert list(m.rows["sep_arcsec"]) == sorted(seps, reverse=True)


def test_a_shared_link_keeps_its_order_with_its_search(seeded):
    m = SourceSearchModel(seeded)
    m.param.update(name_query="J12", descending=True)  # as the URL sets them, together
    assert m.descending is True
    m.refresh()
    names = list(m.rows["source_id"])
    assert names == sorted(names, reverse=True)


def test_bad_inputs_become_messages_naming_the_field(seeded):
    m = SourceSearchModel(seeded, position="188.736 +42.053", radius="far")
    m.refresh()
    assert m.error_field == "radius" and "radius" in m.error and m.total == 0
    m.param.update(radius="0.5 arcmin", eta_min=3.0, eta_max=1.0)
    m.refresh()
    assert m.error_field == "eta_min"
    m.param.update(eta_min=None, eta_max=None)
    m.refresh()
    assert m.error is None and m.total == 1


def test_ese_candidates_with_status(seeded):
    m = EseCandidatesModel(seeded)
    m.refresh()
    assert list(m.rows["source_id"]) == ["NVSS J123456.7+420312"]
    m.status = "all"
    m.refresh()
    assert list(m.rows["status"]) == ["active", "dismissed"]


def test_source_url_quotes_spaces_and_plus():
    assert source_url("NVSS J123456.7+420312") == "/sources/NVSS%20J123456.7%2B420312"


def test_url_values_keep_their_text(db):
    values = initial_values(SourceSearchModel(db),
                            {"name_query": "q", "page": "page", "eta_min": "eta_min",
                             "sort": "sort"},
                            "?q=0925&page=3&eta_min=1.5&sort=nonsense")
    assert values == {"name_query": "0925", "page": 3, "eta_min": 1.5}


# ---------------------------------------------------------------------- eta-V
def test_eta_v_points_thresholds_and_candidates(seeded):
    m = EtaVModel(seeded)
    m.refresh()
    # The n_obs=1 source is left out by eta_points; the rest are all plottable.
    assert m.n_unplottable == 0 and len(m.points) == 23
    cands = set(m.candidates["source_id"])
    assert cands == {"NVSS J123456.7+420312", "NVSS J123512.0+420312"}  # eta>=1.5, V>=0.1
    m.param.update(eta_threshold=3.0)
    assert set(m.candidates["source_id"]) == {"NVSS J123456.7+420312"}
    m.k = 1.0
    m.apply_sigma_preset()
    eta, v = sigma_thresholds(m.points, 1.0)
    assert m.eta_threshold == pytest.approx(eta, rel=1e-2)
    assert m.v_threshold == pytest.approx(v, rel=1e-2)


def test_eta_v_nearest_click_selects_or_not(seeded):
    m = EtaVModel(seeded)
    m.refresh()
    x, y = math.log10(5.0), math.log10(0.2)
    assert m.select_at(x + 0.001, y, 2.0, 2.0) == "NVSS J123456.7+420312"
    assert m.select_at(x + 1.0, y + 1.0, 2.0, 2.0) is None
    m.set_thresholds_at(math.log10(2.0), math.log10(0.05))
    assert (m.eta_threshold, m.v_threshold) == (2.0, 0.05)


def test_eta_v_rows_of_source_ids(seeded):
    m = EtaVModel(seeded)
    m.refresh()
    ids = ["NVSS J123512.0+420312", "nobody", "NVSS J123456.7+420312"]
    got = m.rows_of(ids)
    want = m.points[m.points["source_id"].isin(ids)]
    assert list(got["source_id"]) == list(want["source_id"])  # in the points' order
    assert m.rows_of([]).empty and list(m.rows_of([]).columns) == list(m.points.columns)
    m.refresh()  # new points: the positions are made again for them
    assert list(m.rows_of(ids)["source_id"]) == list(want["source_id"])
    m.selected = "NVSS J123456.7+420312"
    assert m.selected_row()["source_id"] == m.selected


def test_log_points_counts_what_log_axes_cannot_show():
    frame = pd.DataFrame({"source_id": list("abcd"), "eta": [1.0, 0.0, np.nan, 2.0],
                          "v": [0.1, 0.1, 0.1, -0.2], "n_obs": [5] * 4,
                          "mean_flux_mjy": [1.0] * 4, "ese_status": [None] * 4})
    points, bad = log_points(frame)
    assert list(points["source_id"]) == ["a"] and bad == 3


def test_eta_v_says_where_v_comes_from(db):
    from dsa110_dashboard.db import migrate
    from dsa110_dashboard.viewmodels.eta_v import EtaVModel
    from factories import insert

    with db.transaction() as conn:
        insert(conn, "variability_stats", std_flux_mjy=5.0, eta_metric=2.0)
    model = EtaVModel(db)
    model.refresh()
    assert "std/mean" in model.v_note and "dsa110-dash variability" in model.v_note
    migrate.downgrade(db, "0002_dashboard_indexes")
    db.refresh_catalog()
    model.refresh()
    assert "std/mean" in model.v_note, "a database without our table says so too"
