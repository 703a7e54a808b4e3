"""The small demo dataset is internally consistent: rows match the files they name."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dsa110_dashboard.cli.main import main
from dsa110_dashboard.demo import build_demo
from dsa110_dashboard.demo.images import Geometry
from dsa110_dashboard.demo.photometry import forced_photometry, variability
from dsa110_dashboard.errors import ConflictError
from dsa110_dashboard.fits.header import summarize
from dsa110_dashboard.fits.reader import open_image
from dsa110_dashboard.repositories.records import run_id_for

from .conftest import SMALL


def test_every_photometry_row_points_at_an_existing_image(conn):
    orphans = conn.execute("SELECT count(*) FROM photometry p LEFT JOIN images i "
                           "ON i.path = p.image_path WHERE i.id IS NULL").fetchone()[0]
    assert orphans == 0
    paths = [r[0] for r in conn.execute("SELECT DISTINCT image_path FROM photometry")]
    assert paths and all(Path(p).is_file() for p in paths)


def test_every_image_opens_and_its_header_matches_its_row(conn, truth):
    rows = conn.execute("SELECT * FROM images").fetchall()
    null_paths = set(truth["null_metadata_images"])
    assert null_paths, "the demo has images with NULL metadata"
    for row in rows:
        plane = open_image(row["path"])
        assert plane.shape == (row["imsize_y"], row["imsize_x"])
        header = plane.header
        assert header["BUNIT"] == "Jy/beam" and header["TELESCOP"] == "DSA-110"
        assert header["CTYPE1"] == "RA---SIN" and header["CTYPE4"] == "STOKES"
        summary = summarize(header)
        if row["path"] in null_paths:
            assert row["center_ra_deg"] is None and row["noise_jy"] is None
            assert row["beam_major_arcsec"] is None
            assert summary.bmaj_arcsec >= 18.0  # the header fallback
            continue
        assert header["CRVAL1"] == pytest.approx(row["center_ra_deg"], abs=1e-9)
        assert header["CRVAL2"] == pytest.approx(row["center_dec_deg"], abs=1e-9)
        cell_deg = row["cellsize_arcsec"] / 3600
        # The header centre pixel is half a pixel from CRPIX: within one cell.
        assert abs(summary.ra_deg - row["center_ra_deg"]) * np.cos(np.radians(54.57)) < cell_deg
        assert abs(summary.dec_deg - row["center_dec_deg"]) < cell_deg
        assert summary.bmaj_arcsec == pytest.approx(row["beam_major_arcsec"])
    assert {r["type"] for r in rows} == {"5min", "pbcor"}


def test_image_centre_is_the_meridian_at_observation_time(conn):
    from dsa110_dashboard.demo.observing import lst_deg

    for row in conn.execute("SELECT i.center_ra_deg, m.mid_mjd FROM images i JOIN ms_index m "
                            "ON m.path = i.ms_path WHERE i.center_ra_deg IS NOT NULL"):
        assert row[0] == pytest.approx(float(lst_deg(row[1])[0]), abs=1e-9)


def test_lightcurve_epochs_are_the_observation_times(conn):
    bad = conn.execute(
        "SELECT count(*) FROM photometry p JOIN images i ON i.path = p.image_path "
        "JOIN ms_index m ON m.path = i.ms_path WHERE p.mjd != m.mid_mjd").fetchone()[0]
    assert bad == 0
    unjoined = conn.execute(
        "SELECT count(*) FROM images i LEFT JOIN ms_index m ON m.path = i.ms_path "
        "WHERE m.path IS NULL").fetchone()[0]
    assert unjoined == 0


def test_photometry_is_remeasured_exactly_from_the_file(small_demo, conn):
    image_path = conn.execute(
        "SELECT image_path FROM photometry GROUP BY image_path ORDER BY count(*) DESC "
        "LIMIT 1").fetchone()[0]
    rows = conn.execute("SELECT * FROM photometry WHERE image_path = ? ORDER BY source_id",
                        (image_path,)).fetchall()
    plane = open_image(image_path)
    ra = np.array([r["ra_deg"] for r in rows])
    dec = np.array([r["dec_deg"] for r in rows])
    header = plane.header
    forced = forced_photometry(plane.data, plane.wcs, Geometry(SMALL["size"]), ra, dec,
                               header["CRVAL1"], header["CRVAL2"])
    assert forced.source.size == len(rows)
    np.testing.assert_allclose(forced.peak_jyb, [r["peak_jyb"] for r in rows], rtol=1e-9)
    np.testing.assert_allclose(forced.local_rms, [r["local_rms"] for r in rows], rtol=1e-9)
    np.testing.assert_allclose(forced.flux_jy, [r["flux_jy"] for r in rows], rtol=1e-9)
    np.testing.assert_allclose(forced.sep_deg, [r["sep_from_center_deg"] for r in rows],
                               rtol=1e-9)
    # And the brightest source's peak is what the pixel at its position shows.
    k = int(np.argmax(forced.peak_jyb))
    x, y = plane.wcs.world_to_pixel_values(ra[k], dec[k])
    pixel = plane.data[int(round(float(y))), int(round(float(x)))]
    assert pixel == pytest.approx(forced.peak_jyb[k], rel=0.5)
    assert pixel > 20 * rows[k]["local_rms"]


def test_variability_stats_are_computed_from_the_photometry(conn):
    rows = conn.execute(
        "SELECT source_id, coalesce(normalized_flux_jy, flux_jy) * 1e3 AS f, "
        "CASE WHEN normalized_flux_jy IS NULL THEN flux_err_jy ELSE normalized_flux_err_jy "
        "END * 1e3 AS e FROM photometry WHERE (flags & 2) = 0").fetchall()
    names = sorted({r[0] for r in rows})
    index = {n: i for i, n in enumerate(names)}
    src = np.array([index[r[0]] for r in rows])
    stats = variability(src, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                        len(names))
    db = {r["source_id"]: r for r in conn.execute("SELECT * FROM variability_stats")}
    for name in names[::50]:
        i = index[name]
        assert db[name]["n_obs"] == stats["n_obs"][i]
        for col in ("mean_flux_mjy", "std_flux_mjy", "chi2_nu", "sigma_deviation",
                    "eta_metric"):
            want = stats[col][i]
            if np.isnan(want):
                assert db[name][col] is None
            else:
                assert db[name][col] == pytest.approx(want, rel=1e-9), col
    total = conn.execute("SELECT count(*) FROM variability_stats").fetchone()[0]
    measured = conn.execute("SELECT count(DISTINCT source_id) FROM photometry").fetchone()[0]
    assert total == measured


def test_stable_sources_scatter_as_their_errors_say(conn):
    chi2 = [r[0] for r in conn.execute(
        "SELECT chi2_nu FROM variability_stats WHERE n_obs >= 8 AND chi2_nu IS NOT NULL")]
    assert 0.7 < float(np.median(chi2)) < 1.5


def test_bad_images_are_graded_poor_and_their_photometry_flagged(conn, truth):
    bad = truth["bad_images"]
    assert set(bad) == {"high_noise", "stripe", "blank"}
    for kind, path in bad.items():
        grade = conn.execute("SELECT overall_quality FROM image_qa WHERE image_path = ?",
                             (path,)).fetchone()[0]
        assert grade == "poor", kind
        unflagged = conn.execute("SELECT count(*) FROM photometry WHERE image_path = ? "
                                 "AND quality_flag IS NOT 'image_qa_poor'", (path,)).fetchone()[0]
        assert unflagged == 0
    assert conn.execute("SELECT count(*) FROM photometry WHERE image_path = ?",
                        (bad["blank"],)).fetchone()[0] == 0
    noise = conn.execute("SELECT rms_noise FROM image_qa WHERE image_path = ?",
                         (bad["high_noise"],)).fetchone()[0]
    assert noise > 5 * 3e-4
    others = conn.execute("SELECT count(*) FROM image_qa WHERE overall_quality = 'poor' AND "
                          f"image_path NOT IN ({','.join('?' * len(bad))})",
                          tuple(bad.values())).fetchone()[0]
    assert others == 0


def test_the_expired_calibration_set_is_expired(conn, truth):
    expired = truth["expired_calset"]
    rows = conn.execute("SELECT * FROM caltables WHERE set_name = ?",
                        (expired["set_name"],)).fetchall()
    assert rows and all(r["status"] == "active" for r in rows)
    last = conn.execute("SELECT max(mid_mjd) FROM ms_index").fetchone()[0]
    assert all(r["valid_end_mjd"] < last for r in rows)
    path = rows[0]["path"]
    applied_after = conn.execute(
        "SELECT count(*) FROM calibration_applied a JOIN ms_index m ON m.path = a.ms_path "
        "WHERE a.caltable_path = ? AND m.mid_mjd > ?", (path, rows[0]["valid_end_mjd"])
    ).fetchone()[0]
    assert applied_after == 0
    assert conn.execute("SELECT count(*) FROM caltables WHERE status = 'retired'").fetchone()[0]


def test_calibration_applied_is_the_active_list_at_each_ms(conn):
    for ms, mid in conn.execute("SELECT path, mid_mjd FROM ms_index WHERE cal_applied = 1"):
        want = [r[0] for r in conn.execute(
            "SELECT path FROM caltables WHERE status = 'active' AND valid_start_mjd <= ? "
            "AND valid_end_mjd >= ? ORDER BY order_index", (mid, mid))]
        got = [r[0] for r in conn.execute(
            "SELECT caltable_path FROM calibration_applied WHERE ms_path = ? "
            "ORDER BY applied_at", (ms,))]
        assert got == want and got
    refants = {r[0] for r in conn.execute("SELECT DISTINCT refant FROM caltables")}
    assert refants == {"103"}


def test_the_problematic_spw_is_flagged(conn, truth):
    spec = truth["problematic_spw"]
    row = conn.execute("SELECT per_spw_stats, bp_metrics FROM calibration_qa WHERE job_id = ?",
                       (spec["job_id"],)).fetchone()
    spws = json.loads(row[0])
    assert [s["spw_id"] for s in spws] == list(range(16))
    bad = [s for s in spws if s["is_problematic"]]
    assert [s["spw_id"] for s in bad] == [spec["spw_id"]]
    assert bad[0]["fraction_flagged"] > 0.8
    assert set(json.loads(row[1])) == {"flag_fraction", "avg_snr", "amp_mean", "amp_std"}


def test_failed_jobs_have_tracebacks_in_their_logs(small_demo, conn, truth):
    failed = conn.execute("SELECT * FROM jobs WHERE status = 'failed'").fetchall()
    assert len(failed) >= 3
    assert {f["job_id"] for f in truth["failed_jobs"]} == {r["id"] for r in failed}
    for job in failed:
        log = small_demo.out_dir / "logs" / f"{run_id_for(job['ms_path'])}.log"
        text = log.read_text()
        assert "Traceback (most recent call last):" in text
        assert "Traceback (most recent call last):" in job["logs"]
    imaging = conn.execute("SELECT count(*) FROM jobs WHERE type = 'imaging' AND "
                           "status = 'completed'").fetchone()[0]
    assert imaging == conn.execute("SELECT count(*) FROM images WHERE type = '5min'").fetchone()[0]


def test_batches_have_one_done_one_failed_one_running(conn):
    statuses = sorted(r[0] for r in conn.execute("SELECT status FROM batch_jobs"))
    assert statuses == ["done", "failed", "running"]
    for b in conn.execute("SELECT * FROM batch_jobs"):
        items = [r[0] for r in conn.execute(
            "SELECT status FROM batch_job_items WHERE batch_id = ?", (b["id"],))]
        assert b["total_items"] == len(items)
        assert b["failed_items"] == items.count("failed")
        assert b["completed_items"] == items.count("done")


def test_hdf5_groups_and_vocabularies(conn):
    counts = {r[0]: r[1] for r in conn.execute(
        "SELECT group_id, count(*) FROM hdf5_files GROUP BY group_id")}
    groups = {r[0]: r[1] for r in conn.execute("SELECT group_id, status FROM ms_index")}
    assert set(counts) == set(groups)
    assert {n for g, n in counts.items() if groups[g] != "pending"} == {16}
    codes = {r[0] for r in conn.execute("SELECT DISTINCT subband_code FROM hdf5_files")}
    assert codes == {f"sb{i:02d}" for i in range(16)}
    statuses = set(groups.values())
    assert {"completed", "done", "failed", "flagged", "pending"} <= statuses
    for ms_path, group in conn.execute("SELECT path, group_id FROM ms_index"):
        assert Path(ms_path).name == f"{group}.ms"


def test_same_seed_gives_identical_rows_and_pixels(small_demo, tmp_path):
    again = build_demo(tmp_path / "again", **SMALL, workers=1)
    a, b = str(small_demo.out_dir), str(again.out_dir)

    def dump(out: str) -> dict:
        with sqlite3.connect(f"file:{out}/pipeline.sqlite3?mode=ro", uri=True) as c:
            tables = [r[0] for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            return {t: [tuple(str(v).replace(out, "DIR") if isinstance(v, str) else v
                              for v in row)
                        for row in c.execute(f"SELECT * FROM {t}")] for t in tables}

    assert dump(a) == dump(b)
    first = sorted((Path(a) / "images").rglob("*.fits"))[5]
    assert first.read_bytes() == (Path(b) / first.relative_to(a)).read_bytes()


def test_a_non_empty_directory_is_refused_without_force(small_demo, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConflictError):
        build_demo(out, days=1, size=128, images_per_day=8, seed=2)
    build_demo(out, days=1, size=128, images_per_day=8, seed=2, force=True)
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "pipeline.sqlite3").is_file()


def test_cli_writes_a_dataset(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["demo", "--out", str(out), "--days", "1", "--size", "128",
                 "--images-per-day", "8", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "photometry rows" in printed and "size on disk" in printed
    assert (out / "pipeline.sqlite3").is_file() and (out / "demo_truth.json").is_file()
    assert main(["demo", "--out", str(out), "--days", "1", "--size", "128"]) == 1


def test_a_folder_holding_only_the_servers_own_files_is_no_conflict(small_demo, tmp_path):
    """`make test` then `make run`: the server's sign-in store and cache in the default
    data dir do not stop the demo from being made there, and they stay."""
    out = tmp_path / "served"
    (out / "cache").mkdir(parents=True)
    (out / "dashboard-auth.sqlite3").write_bytes(b"store")
    build_demo(out, days=1, size=128, images_per_day=8, seed=2)
    assert (out / "pipeline.sqlite3").is_file()
    assert (out / "dashboard-auth.sqlite3").read_bytes() == b"store"


def test_images_carry_the_qa_batch_s_catalogue_comparison(conn, truth):
    """Each image with signal has the flux scale and astrometry the qa batch keeps
    (decision 0058), beside its image_qa row: the primary-beam-corrected images read
    the injected flux scale (the per-image gain, ~1: the peak is interpolated, where the
    brightest pixel of a beam 1.4 pixels wide read ~25% low, decision 0072), the others
    also include the beam's response; the sources sit near their catalogue positions."""
    rows = conn.execute(
        "SELECT i.type, c.flux_scale_ratio, c.astrometry_offset_arcsec, c.n_matched, "
        "c.image_path = q.image_path AS same FROM dash_image_qa_catalogue c "
        "JOIN image_qa q ON q.id = c.image_qa_id JOIN images i ON i.path = q.image_path"
    ).fetchall()
    images = conn.execute("SELECT count(*) FROM images").fetchone()[0]
    assert len(rows) == images - 1  # all but the blank image
    assert all(r["same"] for r in rows)
    pbcor = [r["flux_scale_ratio"] for r in rows if r["type"] == "pbcor"]
    plain = [r["flux_scale_ratio"] for r in rows if r["type"] == "5min"
             and r["flux_scale_ratio"] is not None]
    assert pbcor and 0.9 < float(np.median(pbcor)) < 1.1
    assert 0.1 < float(np.median(plain)) < float(np.median(pbcor))
    offsets = [r["astrometry_offset_arcsec"] for r in rows if r["n_matched"]]
    cell_arcsec = 3.5 * 3600 / 256  # the small demo's pixels
    assert float(np.median(offsets)) < cell_arcsec / 2
    blank = truth["bad_images"]["blank"]
    assert conn.execute("SELECT count(*) FROM dash_image_qa_catalogue WHERE image_path = ?",
                        (blank,)).fetchone()[0] == 0
