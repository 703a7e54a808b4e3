"""SourceRepository and VariabilityRepository on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dsa110_dashboard.db.dashboard_schema import dash_variability
from dsa110_dashboard.errors import InvalidInputError, NotFoundError
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.repositories.lightcurves import LightcurveRepository
from dsa110_dashboard.repositories.sources import SourceRepository, normalise_name_prefix
from dsa110_dashboard.repositories.variability import VariabilityFilter, VariabilityRepository
from factories import insert, insert_many


def _unit(ra, dec):
    ra, dec = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], -1)


def _truth(ras, decs, ra0, dec0, radius):
    """Separations by the dot product of unit vectors: independent of the haversine."""
    dots = _unit(np.asarray(ras), np.asarray(decs)) @ _unit(ra0, dec0)
    sep = np.degrees(np.arccos(np.clip(dots, -1, 1)))
    return sep, sep <= radius


# ------------------------------------------------------------------ origin
def test_source_tables_are_preferred_in_order(db):
    repo = SourceRepository(db)
    with db.transaction() as conn:
        insert_many(conn, "photometry", [
            {"source_id": "NVSS J010000.0+540000", "ra_deg": 15.0, "dec_deg": 54.0,
             "mjd": m, "image_path": f"/img/{m}.fits"} for m in (60001.0, 60002.0, 60003.0)])
    with db.connect() as conn:
        assert repo.origin(conn) == "photometry"
    rec = repo.get("NVSS J010000.0+540000")
    assert (rec.origin, rec.n_epochs, rec.first_mjd, rec.last_mjd) == \
        ("photometry", 3, 60001.0, 60003.0)
    assert rec.eta_metric is None  # no statistics: NULL, not 0

    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id="NVSS J010000.0+540000", ra_deg=15.0,
               dec_deg=54.0, n_obs=3, eta_metric=2.5, mean_flux_mjy=40.0, std_flux_mjy=4.0)
        insert(conn, "variability_stats", source_id="NVSS J020000.0+540000", ra_deg=30.0,
               dec_deg=54.0)
    with db.connect() as conn:
        assert repo.origin(conn) == "variability_stats"
    rec = repo.get("NVSS J010000.0+540000")
    assert (rec.origin, rec.eta_metric, rec.v) == ("variability_stats", 2.5, 0.1)
    # variability_stats has no first MJD: it comes from the photometry of this source.
    assert rec.first_mjd == 60001.0
    assert repo.search_name("NVSS", PageRequest()).total == 2

    with db.transaction() as conn:
        insert(conn, "sources", id="NVSS J010000.0+540000", name="Custom name",
               ra_deg=15.0, dec_deg=54.0, detection_count=7)
    with db.connect() as conn:
        assert repo.origin(conn) == "sources"
    rec = repo.get("NVSS J010000.0+540000")
    assert (rec.origin, rec.name, rec.n_epochs, rec.eta_metric) == \
        ("sources", "Custom name", 7, 2.5)
    # Only the sources table counts now.
    with pytest.raises(NotFoundError):
        repo.get("NVSS J020000.0+540000")


def test_missing_tables_read_as_empty(db):
    with db.transaction() as conn:
        for table in ("sources", "variability_stats", "ese_candidates"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
        insert(conn, "photometry", source_id="NVSS J010000.0+540000")
    db.refresh_catalog()
    repo, var = SourceRepository(db), VariabilityRepository(db)
    rec = repo.get("NVSS J010000.0+540000")
    assert rec.origin == "photometry" and rec.ese_status is None
    assert var.page().total == 0 and var.page().rows.empty
    assert var.eta_points().empty
    assert var.ese_candidates().empty


# -------------------------------------------------------------- name search
NAMES = ("NVSS J123456.7+420312", "NVSS J123500.0+420000", "NVSS J000001.0+100000",
         "NVSS J123456.7-420312")


@pytest.fixture
def named(db):
    with db.transaction() as conn:
        insert_many(conn, "variability_stats", [
            {"source_id": n, "ra_deg": 188.0 + i, "dec_deg": 42.0} for i, n in enumerate(NAMES)])
    return SourceRepository(db)


@pytest.mark.parametrize("typed, expected", [
    ("J1234", {NAMES[0], NAMES[3]}),
    ("nvss j1234", {NAMES[0], NAMES[3]}),
    ("NVSS J123456.7+42", {NAMES[0]}),
    ("j12", {NAMES[0], NAMES[1], NAMES[3]}),
    ("123456.7-", {NAMES[3]}),
    ("  Nvss   J0000 ", {NAMES[2]}),
    ("J12_4", set()),          # "_" is a character here, not a LIKE wildcard
    ("J%", set()),
    ("", set()),
])
def test_search_name_prefix_is_case_insensitive(named, typed, expected):
    page = named.search_name(typed, PageRequest())
    assert set(page.rows["source_id"]) == expected
    assert page.total == len(expected)


def test_search_name_pages_in_name_order(named):
    first = named.search_name("J1", PageRequest(limit=2))
    second = named.search_name("J1", PageRequest(limit=2, offset=2))
    assert first.total == second.total == 3
    got = list(first.rows["source_id"]) + list(second.rows["source_id"])
    assert got == sorted([NAMES[0], NAMES[1], NAMES[3]])
    with pytest.raises(InvalidInputError):
        named.search_name("J1", PageRequest(sort="ra_deg; DROP TABLE x"))


def test_normalise_name_prefix():
    assert normalise_name_prefix("nvss  j1234") == ["NVSS J1234", "J1234"]
    assert normalise_name_prefix("1234") == ["NVSS J1234", "J1234"]


# ------------------------------------------------------------------- cone
CONES = [
    (0.2, 30.0, 1.5),      # box wraps below 0
    (359.7, -20.0, 1.0),   # box wraps above 360
    (150.0, 60.0, 2.0),    # RA range widened by 1/cos(dec); box corners outside
    (42.0, 89.3, 1.0),     # touches the pole: whole RA range
    (250.0, -88.0, 3.0),   # south pole inside the cone
]


@pytest.mark.parametrize("ra0, dec0, radius", CONES)
def test_cone_is_exact_on_the_sphere(db, ra0, dec0, radius):
    rng = np.random.default_rng(int(ra0 * 10 + dec0 * 100) % 2**32)
    n = 400
    # Points around the centre out to 1.6 radii (many inside the box but outside the
    # cone), spread in RA by 1/cos(dec), plus far-away ones.
    dec = np.clip(dec0 + rng.uniform(-1.6, 1.6, n) * radius, -89.999, 89.999)
    spread = np.minimum(1.6 * radius / max(math.cos(math.radians(dec0)), 1e-3), 180)
    ra = np.mod(ra0 + rng.uniform(-1, 1, n) * spread, 360.0)
    ra[:20], dec[:20] = rng.uniform(0, 360, 20), rng.uniform(-80, 80, 20)
    ids = [f"S{k:04d}" for k in range(n)]
    with db.transaction() as conn:
        insert_many(conn, "variability_stats", [
            {"source_id": s, "ra_deg": float(r), "dec_deg": float(d)}
            for s, r, d in zip(ids, ra, dec, strict=True)])
    sep, inside = _truth(ra, dec, ra0, dec0, radius)
    # Leave points on the edge out of the comparison (rounding decides them).
    clear = np.abs(sep - radius) > 1e-9
    expected = sorted((sep[k], ids[k]) for k in np.flatnonzero(inside & clear))
    assert len(expected) > 20 and (~inside).sum() > 20

    repo = SourceRepository(db)
    everything = repo.cone(ra0, dec0, radius, PageRequest(limit=500))
    got = everything.rows
    assert everything.total == int(inside.sum())
    ids_got = [s for s in got["source_id"] if clear[ids.index(s)]]
    assert ids_got == [s for _, s in expected]  # nearest first
    truth = {ids[k]: sep[k] * 3600 for k in range(n)}
    for s, arcsec in zip(got["source_id"], got["sep_arcsec"], strict=True):
        assert arcsec == pytest.approx(truth[s], abs=1e-3)

    # Paging: pages concatenate to the whole ordered result, totals agree.
    pages, offset = [], 0
    while True:
        page = repo.cone(ra0, dec0, radius, PageRequest(offset=offset, limit=7))
        assert page.total == everything.total
        pages.extend(page.rows["source_id"])
        if not page.has_next:
            break
        offset += 7
    assert pages == list(got["source_id"])


def test_cone_rejects_bad_input_and_other_sorts(db):
    repo = SourceRepository(db)
    with pytest.raises(InvalidInputError):
        repo.cone(10.0, 95.0, 1.0)
    with pytest.raises(InvalidInputError):
        repo.cone(10.0, 10.0, 0.0)
    with pytest.raises(InvalidInputError):
        repo.cone(10.0, 10.0, 1.0, PageRequest(sort="eta_metric"))
    assert repo.cone(10.0, 10.0, 1.0).total == 0


def test_nearby_excludes_the_source_itself(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id="A", ra_deg=100.0, dec_deg=50.0)
        insert(conn, "variability_stats", source_id="B", ra_deg=100.05, dec_deg=50.0)
        insert(conn, "variability_stats", source_id="C", ra_deg=101.0, dec_deg=50.0)
    near = SourceRepository(db).nearby("A", radius_deg=0.1)
    assert list(near["source_id"]) == ["B"]


# -------------------------------------------------------------- lightcurve
SRC = "NVSS J080000.0+543000"


@pytest.fixture
def lightcurve_db(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id=SRC, ra_deg=120.0, dec_deg=54.5)
        img = {k: insert(conn, "images", path=f"/img/{k}.fits") for k in "abc"}
        insert(conn, "image_qa", image_path="/img/a.fits", overall_quality="good",
               timestamp=100.0)
        insert(conn, "image_qa", image_path="/img/a.fits", overall_quality="poor",
               timestamp=200.0)  # the latest grade wins
        # Inserted, and measured, in an order that is not the observation order.
        common = {"source_id": SRC, "ra_deg": 120.0, "dec_deg": 54.5}
        insert(conn, "photometry", **common, image_path="/img/a.fits", mjd=60003.0,
               measured_at=1.0, normalized_flux_jy=0.101, normalized_flux_err_jy=0.002,
               flux_jy=0.2, flux_err_jy=0.02, peak_jyb=0.3, peak_err_jyb=0.03)
        insert(conn, "photometry", **common, image_path="/img/b.fits", mjd=60001.0,
               measured_at=3.0, normalized_flux_jy=None, normalized_flux_err_jy=None,
               flux_jy=0.102, flux_err_jy=0.004, peak_jyb=0.3, peak_err_jyb=0.03)
        insert(conn, "photometry", **common, image_path="/img/c.fits", mjd=60002.0,
               measured_at=2.0, normalized_flux_jy=None, flux_jy=None, flux_err_jy=None,
               peak_jyb=0.103, peak_err_jyb=0.006)
        insert(conn, "photometry", **common, image_path="/img/gone.fits", mjd=None,
               measured_at=0.5, normalized_flux_jy=None, flux_jy=None, peak_jyb=None)
        insert(conn, "photometry", source_id="OTHER", image_path="/img/a.fits", mjd=60000.0)
    return db, img


def test_lightcurve_best_flux_falls_back_per_row_and_orders_by_mjd(lightcurve_db):
    db, img = lightcurve_db
    lc = LightcurveRepository(db).lightcurve(SRC)
    assert list(lc["mjd"][:3]) == [60001.0, 60002.0, 60003.0]
    assert math.isnan(lc["mjd"][3])  # no observation time: last, still NaN not 0
    assert list(lc["flux_column"]) == ["flux_jy", "peak_jyb", "normalized_flux_jy", None]
    assert list(lc["flux_jy"][:3]) == [0.102, 0.103, 0.101]
    assert list(lc["flux_err_jy"][:3]) == [0.004, 0.006, 0.002]
    assert math.isnan(lc["flux_jy"][3])
    assert list(lc["image_path"]) == ["/img/b.fits", "/img/c.fits", "/img/a.fits",
                                      "/img/gone.fits"]
    assert list(lc["image_id"][:3]) == [img["b"]["id"], img["c"]["id"], img["a"]["id"]]
    assert pd.isna(lc["image_id"][3])
    assert list(lc["qa_grade"]) == [None, None, "poor", None]


def test_lightcurve_single_column_choices_do_not_fall_back(lightcurve_db):
    db, _ = lightcurve_db
    repo = LightcurveRepository(db)
    norm = repo.lightcurve(SRC, flux="normalized")
    assert norm["flux_jy"][2] == 0.101 and norm["flux_jy"][:2].isna().all()
    assert set(norm["flux_column"]) == {"normalized_flux_jy"}
    assert list(repo.lightcurve(SRC, flux="raw")["flux_jy"][:3].fillna(-1)) == \
        [0.102, -1, 0.2]
    assert list(repo.lightcurve(SRC, flux="peak")["flux_jy"][:3]) == [0.3, 0.103, 0.3]
    with pytest.raises(InvalidInputError):
        repo.lightcurve(SRC, flux="brightest")


def test_images_for_a_source(lightcurve_db):
    db, img = lightcurve_db
    frame = LightcurveRepository(db).images_for(SRC)
    assert list(frame["path"]) == ["/img/b.fits", "/img/c.fits", "/img/a.fits"]


def test_unknown_source_is_not_found(lightcurve_db):
    db, _ = lightcurve_db
    repo, lightcurves = SourceRepository(db), LightcurveRepository(db)
    for call in (repo.get, lightcurves.lightcurve, lightcurves.images_for, repo.nearby):
        with pytest.raises(NotFoundError):
            call("NVSS J999999.9+999999")


def test_known_source_without_photometry_has_an_empty_lightcurve(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id="LONELY")
    assert LightcurveRepository(db).lightcurve("LONELY").empty


# ------------------------------------------------------------- variability
@pytest.fixture
def variability_db(db):
    rows = [
        {"source_id": "A", "eta_metric": 5.0, "chi2_nu": 4.0, "sigma_deviation": 6.0,
         "n_obs": 100, "mean_flux_mjy": 20.0, "std_flux_mjy": 6.0},
        {"source_id": "B", "eta_metric": 1.0, "chi2_nu": 1.0, "sigma_deviation": 2.0,
         "n_obs": 100, "mean_flux_mjy": 50.0, "std_flux_mjy": 1.0},
        {"source_id": "C", "eta_metric": 2.5, "chi2_nu": 2.0, "sigma_deviation": 3.0,
         "n_obs": 10, "mean_flux_mjy": 100.0, "std_flux_mjy": 20.0},
        {"source_id": "D", "eta_metric": None, "chi2_nu": None, "sigma_deviation": None,
         "n_obs": 1, "mean_flux_mjy": 30.0, "std_flux_mjy": None},
        {"source_id": "E", "eta_metric": 3.0, "chi2_nu": 3.0, "sigma_deviation": 3.0,
         "n_obs": 50, "mean_flux_mjy": None, "std_flux_mjy": 2.0},
    ]
    with db.transaction() as conn:
        insert_many(conn, "variability_stats", rows)
        insert(conn, "ese_candidates", source_id="A", status="active", flagged_at=1.0,
               significance=6.0)
        insert(conn, "ese_candidates", source_id="A", status="investigated",
               flagged_at=2.0, significance=6.5)
        insert(conn, "ese_candidates", source_id="C", status="dismissed", flagged_at=1.0,
               significance=5.1)
    return db


def test_variability_page_filters_sorts_and_counts(variability_db):
    repo = VariabilityRepository(variability_db)
    page = repo.page(VariabilityFilter(eta_min=2.0), PageRequest(limit=2))
    assert page.total == 3
    assert list(page.rows["source_id"]) == ["A", "E"]  # default: eta descending
    assert page.rows["ese_status"][0] == "investigated"  # the latest flag
    page = repo.page(VariabilityFilter(n_obs_min=10, mean_flux_mjy_max=60.0),
                     PageRequest(sort="v", descending=True))
    assert list(page.rows["source_id"]) == ["A", "B"]
    assert page.rows["v"][0] == pytest.approx(0.3)
    # NULL metrics sort last either way and are not turned into 0.
    asc = repo.page(request=PageRequest(sort="eta_metric", descending=False))
    assert list(asc.rows["source_id"]) == ["B", "C", "E", "A", "D"]
    assert pd.isna(asc.rows["eta_metric"][4])
    with pytest.raises(InvalidInputError):
        repo.page(request=PageRequest(sort="notes"))


def test_eta_points_compute_v_from_std_and_mean(variability_db):
    pts = VariabilityRepository(variability_db).eta_points().set_index("source_id")
    assert set(pts.index) == {"A", "B", "C", "E"}  # D has one epoch
    assert pts.loc["A", "v"] == pytest.approx(0.3)
    assert pts.loc["C", "v"] == pytest.approx(0.2)
    assert math.isnan(pts.loc["E", "v"])  # no mean: V unknown, not 0
    assert pts.loc["A", "ese_status"] == "investigated"
    assert pts.loc["B", "ese_status"] is None


def test_ese_candidates_by_status(variability_db):
    repo = VariabilityRepository(variability_db)
    assert list(repo.ese_candidates()["source_id"]) == ["A"]
    every = repo.ese_candidates(statuses=None)
    assert list(every["significance"]) == [6.5, 6.0, 5.1]
    assert every["mean_flux_mjy"][0] == 20.0


def test_search_reads_our_v_and_the_latest_flag_whether_paged_first_or_joined(
        variability_db):
    """The default search pages the sources first and reads V (ours where we have a
    row, a NULL there included) and the latest ESE flag for its rows only; a sort or a
    bound on V joins our table before paging. Both give the same values."""
    with variability_db.transaction() as conn:
        conn.execute(dash_variability.insert(), [{"source_id": "C", "v": 0.9},
                                                 {"source_id": "A", "v": None}])
    repo = SourceRepository(variability_db)
    paged_first = repo.search()
    assert list(paged_first.rows["source_id"]) == ["A", "E", "C", "B", "D"]
    assert paged_first.total == 5
    by_id = paged_first.rows.set_index("source_id")
    assert by_id.loc["C", "v"] == pytest.approx(0.9)  # ours
    assert pd.isna(by_id.loc["A", "v"])  # ours is NULL: undefined, not std/mean
    assert by_id.loc["B", "v"] == pytest.approx(0.02)  # std/mean
    assert by_id.loc["A", "ese_status"] == "investigated"  # the latest of two flags
    assert by_id.loc["A", "ese_significance"] == pytest.approx(6.5)
    assert by_id.loc["C", "ese_status"] == "dismissed"
    assert by_id.loc["B", "ese_status"] is None

    joined = repo.search(request=PageRequest(sort="v", descending=True, limit=2))
    assert list(joined.rows["source_id"]) == ["C", "B"]
    assert joined.rows["v"][0] == pytest.approx(0.9)
    assert joined.rows["ese_status"][0] == "dismissed"
    bounded = repo.search(bounds={"v": (0.5, None)})
    assert list(bounded.rows["source_id"]) == ["C"] and bounded.total == 1
    page2 = repo.search(request=PageRequest(offset=2, limit=2))
    assert list(page2.rows["source_id"]) == ["C", "B"] and page2.total == 5
