"""The default demo (``dsa110-dash demo --days 7``) meets its size requirements."""

from __future__ import annotations

import json
import sqlite3

import pytest

from dsa110_dashboard.demo import build_demo


@pytest.mark.slow
def test_default_demo_has_200_images_500_sources_with_30_epochs_under_1_gb(tmp_path):
    summary = build_demo(tmp_path / "demo", days=7)
    out = summary.out_dir
    with sqlite3.connect(f"file:{out}/pipeline.sqlite3?mode=ro", uri=True) as c:
        n_images = c.execute("SELECT count(*) FROM images WHERE type = '5min'").fetchone()[0]
        with_30 = c.execute("SELECT count(*) FROM (SELECT source_id FROM photometry "
                            "GROUP BY source_id HAVING count(*) >= 30)").fetchone()[0]
        stats_30 = c.execute("SELECT count(*) FROM variability_stats WHERE n_obs >= 30"
                             ).fetchone()[0]
        auto = c.execute("SELECT source_id FROM ese_candidates WHERE flagged_by = 'auto'"
                         ).fetchall()
        statuses = {r[0] for r in c.execute("SELECT DISTINCT status FROM ese_candidates")}
    assert n_images >= 200
    assert with_30 >= 500 and stats_30 >= 500
    assert summary.sources_with_30_epochs == stats_30
    assert summary.bytes_on_disk < 1e9
    # The one-image flashes reach the pipeline's sigma-deviation trigger (>= 5).
    truth = json.loads((out / "demo_truth.json").read_text())
    flashes = {s["source_id"] for s in truth["injected_sources"] if s["kind"] == "flash"}
    assert flashes and flashes <= {r[0] for r in auto}
    assert {"active", "investigated", "dismissed"} <= statuses
