"""``dsa110-dash variability`` on real databases (SQLite and PostgreSQL).

Source S1 has five epochs (fluxes in mJy; errors 1 mJy, except 2 mJy at 20):
    img1 10 (normalized) · img2 12 (normalized) · img3 20 (normalized; image QA latest
    'poor') · img4 14 (no normalized: flux_jy) · img5 11 (normalized)
img4 once had a 'poor' grade but its latest is 'good', so it is never excluded.
S2 has one epoch (statistics undefined), S3 one row with every flux NULL.
"""

import math

import pytest
import sqlalchemy as sa

from dsa110_dashboard.cli.main import main
from dsa110_dashboard.db import migrate
from dsa110_dashboard.repositories.variability import VariabilityRepository
from dsa110_dashboard.science import compute_stats
from factories import MJD0, UNIX0, insert

IMG = [f"/data/images/var{i}-image.fits" for i in range(1, 6)]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("DSA110_DASH_DB", "PIPELINE_DB", "PIPELINE_PRODUCTS_DB",
                "PIPELINE_CAL_REGISTRY_DB", "DSA110_DASH_READ_ONLY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DSA110_DASH_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def phot_db(db):
    with db.transaction() as conn:
        for i, path in enumerate(IMG):
            insert(conn, "images", path=path)
        insert(conn, "image_qa", image_path=IMG[2], overall_quality="good", timestamp=UNIX0)
        insert(conn, "image_qa", image_path=IMG[2], overall_quality="poor",
               timestamp=UNIX0 + 10)
        insert(conn, "image_qa", image_path=IMG[3], overall_quality="poor", timestamp=UNIX0)
        insert(conn, "image_qa", image_path=IMG[3], overall_quality="good",
               timestamp=UNIX0 + 10)
        s1 = [(0.010, 0.001, None, None), (0.012, 0.001, None, None),
              (0.020, 0.002, None, None), (None, None, 0.014, 0.001),
              (0.011, 0.001, None, None)]
        for i, (norm, norm_err, raw, raw_err) in enumerate(s1):
            values = {"normalized_flux_jy": norm, "normalized_flux_err_jy": norm_err}
            if raw is not None:  # otherwise the factory's flux_jy (0.05) must be ignored
                values.update(flux_jy=raw, flux_err_jy=raw_err)
            insert(conn, "photometry", source_id="S1", image_path=IMG[i], mjd=MJD0 + i,
                   ra_deg=120.5, dec_deg=54.6, nvss_flux_mjy=12.0, **values)
        insert(conn, "photometry", source_id="S2", image_path=IMG[0], mjd=MJD0,
               flux_jy=0.05, flux_err_jy=0.001, ra_deg=121.0, dec_deg=54.0)
        insert(conn, "photometry", source_id="S3", image_path=IMG[1], mjd=MJD0 + 1,
               flux_jy=None, flux_err_jy=None, peak_jyb=None, peak_err_jyb=None,
               ra_deg=122.0, dec_deg=53.0)
        # The pipeline's old row for S1 is replaced; GONE (no photometry) is left alone.
        insert(conn, "variability_stats", source_id="S1", eta_metric=99.0, n_obs=2)
        insert(conn, "variability_stats", source_id="GONE", eta_metric=7.0,
               mean_flux_mjy=20.0, std_flux_mjy=6.0)
    return db


def rows(db, table):
    with db.connect() as conn:
        result = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY source_id"))
        return {r["source_id"]: dict(r) for r in result.mappings()}


def run(capsys, db, *args):
    code = main(["--db", str(db.target.url.database if db.dialect == "sqlite"
                             else db.target.url.render_as_string(hide_password=False)),
                 "variability", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_recomputes_both_tables_from_the_photometry(phot_db, capsys):
    code, out, err = run(capsys, phot_db, "--batch-sources", "2")
    assert code == 0, err
    assert "3 sources" in out and "6 epochs" in out and "0 excluded" in out
    assert "sources" in err, "progress goes to standard error"

    vs, ours = rows(phot_db, "variability_stats"), rows(phot_db, "dash_variability")
    s1 = vs["S1"]
    assert s1["n_obs"] == 5
    # mean (10+12+20+14+11)/5 = 13.4 mJy; deviations -3.4 -1.4 6.6 .6 -2.4 -> sum sq 63.2
    assert s1["mean_flux_mjy"] == pytest.approx(13.4)
    assert s1["std_flux_mjy"] == pytest.approx(math.sqrt(63.2 / 4))
    assert (s1["min_flux_mjy"], s1["max_flux_mjy"]) == pytest.approx((10.0, 20.0))
    # w = 1,1,1/4,1,1 (mJy^-2): sum w f^2 - (sum w f)^2 / sum w = 661 - 52^2/4.25 = 421/17
    assert s1["chi2_nu"] == pytest.approx(421 / 17 / 4)
    assert s1["eta_metric"] == pytest.approx(421 / 17 / 4)
    assert s1["sigma_deviation"] == pytest.approx(6.6 / math.sqrt(63.2 / 4))
    assert s1["last_mjd"] == pytest.approx(MJD0 + 4)
    assert (s1["ra_deg"], s1["dec_deg"], s1["nvss_flux_mjy"]) == (120.5, 54.6, 12.0)
    assert s1["updated_at"] is not None
    assert vs["GONE"]["eta_metric"] == 7.0, "a source without photometry is left alone"
    assert vs["S2"]["n_obs"] == 1 and vs["S2"]["eta_metric"] is None
    assert vs["S2"]["mean_flux_mjy"] is None, "undefined below two epochs, not 0"
    assert vs["S3"]["n_obs"] == 0

    o1 = ours["S1"]
    assert o1["mean_flux_jy"] == pytest.approx(0.0134)
    assert o1["weighted_mean_flux_jy"] == pytest.approx(0.052 / 4.25)
    assert o1["v"] == pytest.approx(math.sqrt(63.2 / 4) / 13.4)
    # best pair (20, 10): 10/sqrt(2^2 + 1^2); m = 2*10/30
    assert o1["vs_max"] == pytest.approx(10 / math.sqrt(5))
    assert o1["m_at_vs_max"] == pytest.approx(2 / 3)
    assert o1["is_two_epoch_variable"] == 1
    assert o1["flux_column"] == "mixed" and o1["excluded_qa_epochs"] == 0
    assert ours["S2"]["flux_column"] == "flux_jy" and ours["S2"]["v"] is None
    assert ours["S2"]["is_two_epoch_variable"] is None
    assert ours["S3"]["n_epochs"] == 0 and ours["S3"]["flux_column"] is None
    assert "GONE" not in ours

    # The same numbers as the science module on the same arrays.
    expected = compute_stats(["S1"] * 5, [0.010, 0.012, 0.020, 0.014, 0.011],
                             [0.001, 0.001, 0.002, 0.001, 0.001]).loc["S1"]
    for mine, theirs in (("eta", "eta"), ("v", "v"), ("chi2_nu", "chi2_nu"),
                         ("sigma_deviation", "sigma_deviation"), ("vs_max", "vs_max"),
                         ("std_flux_jy", "std_flux")):
        assert o1[mine] == pytest.approx(expected[theirs])

    # The eta-V plot now reads our V and the two-epoch statistics.
    pts = VariabilityRepository(phot_db).eta_points().set_index("source_id")
    assert pts.loc["S1", "v"] == pytest.approx(o1["v"])
    assert pts.loc["S1", "vs_max"] == pytest.approx(10 / math.sqrt(5))
    assert pts.loc["S1", "is_two_epoch_variable"] is True
    assert pts.loc["GONE", "v"] == pytest.approx(0.3), "no row of ours: std/mean"

    # Running again changes nothing but the time stamps.
    assert run(capsys, phot_db)[0] == 0
    again = rows(phot_db, "dash_variability")
    assert {k: v for k, v in again["S1"].items() if k != "computed_at"} == \
        {k: v for k, v in o1.items() if k != "computed_at"}


def test_exclude_failed_qa_drops_the_poor_image_and_counts_it(phot_db, capsys):
    code, out, err = run(capsys, phot_db, "--exclude-failed-qa")
    assert code == 0, err
    assert "1 excluded" in out and "5 epochs" in out
    s1 = rows(phot_db, "variability_stats")["S1"]
    o1 = rows(phot_db, "dash_variability")["S1"]
    # img3 (20 mJy, latest 'poor') out; img4 (older 'poor', latest 'good') stays.
    assert s1["n_obs"] == 4 and o1["excluded_qa_epochs"] == 1
    # 10, 12, 14, 11: mean 11.75, sum sq 8.75, std sqrt(8.75/3); equal errors -> chi2 8.75/3
    assert s1["mean_flux_mjy"] == pytest.approx(11.75)
    assert s1["std_flux_mjy"] == pytest.approx(math.sqrt(8.75 / 3))
    assert s1["chi2_nu"] == pytest.approx(8.75 / 3)
    # best pair now (14, 10): 4/sqrt(2) = 2.83 < 4.3 -> not a two-epoch variable
    assert o1["vs_max"] == pytest.approx(4 / math.sqrt(2))
    assert o1["m_at_vs_max"] == pytest.approx(8 / 24)
    assert o1["is_two_epoch_variable"] == 0
    assert rows(phot_db, "dash_variability")["S2"]["excluded_qa_epochs"] == 0


def test_database_without_revision_0003_is_refused_clearly(phot_db, capsys):
    migrate.downgrade(phot_db, "0002_dashboard_indexes")
    code, out, err = run(capsys, phot_db)
    assert code == 1
    assert "0003_variability_extra" in err and "dsa110-dash db upgrade" in err
    assert rows(phot_db, "variability_stats")["S1"]["eta_metric"] == 99.0, "nothing written"


def test_read_only_database_is_refused_clearly(phot_db, capsys):
    url = (str(phot_db.target.url.database) if phot_db.dialect == "sqlite"
           else phot_db.target.url.render_as_string(hide_password=False))
    code = main(["--db", url, "--read-only", "true", "variability"])
    err = capsys.readouterr().err
    assert code == 1
    assert "read-only" in err and "DSA110_DASH_READ_ONLY=false" in err
    assert rows(phot_db, "variability_stats")["S1"]["eta_metric"] == 99.0


def test_batch_size_must_be_positive(phot_db, capsys):
    code, out, err = run(capsys, phot_db, "--batch-sources", "0")
    assert code == 1 and "batch_sources" in err


def test_flagged_bad_images_are_left_out_unless_included(phot_db, capsys):
    from dsa110_dashboard.repositories.flags import ImageFlags

    with phot_db.connect() as conn:
        img3 = conn.execute(sa.text("SELECT id FROM images WHERE path = :p"),
                            {"p": IMG[2]}).scalar_one()
    ImageFlags(phot_db).flag([img3], "bad", "sidelobes", "alice")
    code, out, err = run(capsys, phot_db)
    assert code == 0, err
    assert "1 excluded (1 of them flagged bad" in out and "5 epochs" in out
    o1 = rows(phot_db, "dash_variability")["S1"]
    assert o1["n_epochs"] == 4 and o1["excluded_qa_epochs"] == 1
    assert o1["vs_max"] == pytest.approx(4 / math.sqrt(2)), "the 20 mJy epoch is out"

    code, out, err = run(capsys, phot_db, "--include-flagged")
    assert code == 0, err
    assert "0 excluded" in out
    o1 = rows(phot_db, "dash_variability")["S1"]
    assert o1["n_epochs"] == 5 and o1["excluded_qa_epochs"] == 0
    assert o1["eta"] == pytest.approx(421 / 17 / 4)

    # Both: the flagged image is the QA-failed one too; it is counted once.
    code, out, err = run(capsys, phot_db, "--exclude-failed-qa")
    assert "1 excluded" in out
