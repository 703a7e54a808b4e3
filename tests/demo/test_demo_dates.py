"""The demo's observations end when it is generated (or at --end): a fresh demo shows a
pipeline that keeps up, whatever the date; the calibrator is observed at its own
transit whether or not the daily window covers it."""

from __future__ import annotations

import json
import sqlite3
import time

import numpy as np
import pytest

from dsa110_dashboard.cli.demo_cmd import parse_end
from dsa110_dashboard.cli.main import main
from dsa110_dashboard.demo import build_demo
from dsa110_dashboard.demo import observing as obs
from dsa110_dashboard.demo.sky import CALIBRATOR
from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.science.times import mjd_to_unix
from dsa110_dashboard.viewmodels.overview import OverviewModel

#: Every time column the demo writes, to check that none is after its end.
TIME_COLUMNS = (("images", "created_at"), ("image_qa", "timestamp"), ("jobs", "created_at"),
                ("jobs", "started_at"), ("jobs", "finished_at"), ("ms_index", "created_at"),
                ("ms_index", "processed_at"), ("ms_index", "stage_updated_at"),
                ("photometry", "measured_at"), ("hdf5_files", "indexed_at"),
                ("batch_jobs", "created_at"), ("batch_job_items", "completed_at"),
                ("caltables", "created_at"), ("calibration_applied", "applied_at"),
                ("calibration_qa", "timestamp"), ("ese_candidates", "flagged_at"),
                ("ese_candidates", "investigated_at"), ("ese_candidates", "dismissed_at"),
                ("variability_stats", "updated_at"), ("dash_variability", "computed_at"))


def connect(out):
    return sqlite3.connect(f"file:{out}/pipeline.sqlite3?mode=ro", uri=True)


def test_a_demo_built_now_ends_now_with_its_newest_image_minutes_old(tmp_path):
    started = time.time()
    summary = build_demo(tmp_path / "now", days=1, size=128, images_per_day=8, seed=4)
    finished = time.time()
    with connect(summary.out_dir) as c:
        newest = c.execute("SELECT max(created_at) FROM images").fetchone()[0]
        last_ms = c.execute("SELECT max(end_mjd) FROM ms_index").fetchone()[0]
        latest = max(c.execute(f"SELECT max({col}) FROM {table}").fetchone()[0] or 0
                     for table, col in TIME_COLUMNS)
    assert started - 15 * 60 < newest < finished
    assert started - 5 * 60 < mjd_to_unix(last_ms) < finished
    assert latest <= finished  # nothing in the future


def test_a_fresh_demo_is_not_a_red_light(tmp_path):
    summary = build_demo(tmp_path / "fresh", days=2, size=256, seed=2)
    from dsa110_dashboard.db.engine import Database
    from dsa110_dashboard.settings import Settings

    db = Database(Settings.load(environ={"DSA110_DASH_DB": str(summary.out_dir /
                                                                "pipeline.sqlite3")}))
    try:
        model = OverviewModel(db)
        model.refresh()
        overall, lights = model.health()
    finally:
        db.dispose()
    by_name = {light.name: light.state for light in lights}
    assert by_name["Freshness"] == "ok"
    assert overall != "bad", lights


def test_end_chooses_when_the_observations_end(tmp_path):
    end = mjd_to_unix(60000.5)  # 2023-02-25T12:00 UTC
    summary = build_demo(tmp_path / "then", days=1, size=128, images_per_day=8, seed=4,
                         end=float(end))
    truth = json.loads((summary.out_dir / "demo_truth.json").read_text())
    assert truth["end_unix"] == pytest.approx(end)
    with connect(summary.out_dir) as c:
        newest = c.execute("SELECT max(created_at) FROM images").fetchone()[0]
        stamps = [r[0] for r in c.execute("SELECT path FROM ms_index")]
    assert end - 15 * 60 < newest <= end
    assert all("2023-02-2" in s for s in stamps)


def end_with_calibrator_in_window(days: int, per_day: int) -> float:
    """An end time (MJD) whose daily window has 0834+555 at its middle slot."""
    end = 60000.5
    for _ in range(3):
        sched = obs.make_schedule(days, per_day, end)
        mid = sched.center_ra[per_day // 2]
        end -= (np.mod(mid - CALIBRATOR["ra"] + 180, 360) - 180) / obs.SIDEREAL_RATE_DEG_PER_DAY
    return end


@pytest.mark.parametrize("in_window", [True, False])
def test_each_day_is_calibrated_on_0834_at_its_transit(tmp_path, in_window):
    end_mjd = end_with_calibrator_in_window(2, 10)
    if not in_window:
        end_mjd += 0.25  # six hours later: 90 deg of RA away
    summary = build_demo(tmp_path / "cal", days=2, size=128, images_per_day=10, seed=6,
                         end=float(mjd_to_unix(end_mjd)))
    truth = json.loads((summary.out_dir / "demo_truth.json").read_text())
    assert (truth["calibrator_slot"] is not None) is in_window
    cal = truth["calibrator_observations"]
    assert [c["in_window"] for c in cal] == [in_window] * 2
    with connect(summary.out_dir) as c:
        for obs_ in cal:
            lst = float(obs.lst_deg(obs_["mid_mjd"])[0])
            assert abs(np.mod(lst - CALIBRATOR["ra"] + 180, 360) - 180) < 1.1
            row = c.execute("SELECT stage, cal_applied FROM ms_index WHERE path = ?",
                            (obs_["ms_path"],)).fetchone()
            assert row is not None
            transit = c.execute("SELECT count(*) FROM calibrator_transits WHERE "
                                "abs(transit_mjd - ?) < 1e-9", (obs_["mid_mjd"],)).fetchone()
            assert transit[0] == 1
        # Every calibrated MS has exactly one active bandpass table valid at its mid-time.
        for ms, mid in c.execute("SELECT path, mid_mjd FROM ms_index WHERE cal_applied = 1"):
            n = c.execute("SELECT count(*) FROM caltables WHERE status = 'active' AND "
                          "table_type = 'BP' AND valid_start_mjd <= ? AND valid_end_mjd >= ?",
                          (mid, mid)).fetchone()[0]
            assert n == 1, ms
        measured = c.execute("SELECT count(*) FROM photometry WHERE abs(ra_deg - ?) < 0.01 "
                             "AND abs(dec_deg - ?) < 0.01",
                             (CALIBRATOR["ra"], CALIBRATOR["dec"])).fetchone()[0]
    assert (measured > 0) is in_window  # in the images only when the window covers it


def test_end_accepts_iso_or_mjd_and_names_itself_when_wrong():
    assert parse_end(None) is None
    assert parse_end("60000.5") == pytest.approx(mjd_to_unix(60000.5))
    assert parse_end("2023-02-25T12:00:00") == pytest.approx(mjd_to_unix(60000.5))
    with pytest.raises(InvalidInputError) as err:
        parse_end("yesterday")
    assert err.value.parameter == "end" and "--end" in str(err.value)


def test_cli_end_option(tmp_path, capsys):
    code = main(["demo", "--out", str(tmp_path / "cli"), "--days", "1", "--size", "128",
                 "--images-per-day", "8", "--end", "2023-02-25T12:00"])
    assert code == 0
    truth = json.loads((tmp_path / "cli" / "demo_truth.json").read_text())
    assert truth["end_unix"] == pytest.approx(mjd_to_unix(60000.5))
