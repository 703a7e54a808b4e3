"""The Measurement sets pages' view-models on real databases (decision 0051): a stage
click filters, the funnel sums per stage, the detail says what the database lacks, and
an unregistered path is a not-found (no file looked at)."""

from __future__ import annotations

import time

from factories import MJD0, insert

from dsa110_dashboard.viewmodels.measurement_sets import MeasurementSetsModel, ms_page_url
from dsa110_dashboard.viewmodels.ms_detail import MsDetailModel
from dsa110_dashboard.views.measurement_sets import rows_html, stuck_html
from dsa110_dashboard.views.ms_detail import detail_html
from dsa110_dashboard.views.ms_history import history_frame, history_plot

A = "/data/ms/2025-10-17T00:00:00.ms"
B = "/data/ms/2025-10-17T00:05:00.ms"
C = "/data/ms/2025-10-17T00:10:00.ms"


def seed(db, *, drop=()):
    now = time.time()
    with db.transaction() as conn:
        insert(conn, "ms_index", path=A, mid_mjd=MJD0, stage="calibrated", status="completed",
               stage_updated_at=now, cal_applied=1)
        insert(conn, "ms_index", path=B, mid_mjd=MJD0 + 0.003, stage="calibrated",
               status="failed", stage_updated_at=now)
        insert(conn, "ms_index", path=C, mid_mjd=MJD0 + 0.007, stage="converted",
               status="pending", stage_updated_at=now - 30 * 3600)
        for table in drop:
            conn.exec_driver_sql(f"DROP TABLE {table}")
    db.refresh_catalog()


def test_funnel_and_a_stage_click(db):
    seed(db)
    m = MeasurementSetsModel(db, stuck_hours=6.0)
    m.refresh()
    assert m.total == 3
    funnel = {s.stage: (s.count, s.stuck, s.statuses) for s in m.funnel}
    assert list(funnel) == ["converted", "calibrated"]
    assert funnel["calibrated"] == (2, 1, {"completed": 1, "failed": 1})
    assert [s.path for s in m.stuck_list] == [C, B]
    assert "no reason recorded" in stuck_html(m)
    m.show_stage("calibrated", stuck=True)
    m.refresh()
    assert list(m.rows["path"]) == [B] and m.total == 1 and m.page == 1
    m.show_stage("calibrated")
    m.refresh()
    assert sorted(m.rows["path"]) == [A, B] and not m.stuck
    assert ms_page_url(A) in rows_html(m) and "stuck" in rows_html(m)
    assert m.missing_text is None


def test_a_bad_query_names_its_parameter(db):
    seed(db)
    m = MeasurementSetsModel(db, stuck_hours=6.0, q="x" * 300)
    m.refresh()
    assert m.error_parameter == "q" and m.total == 0


def test_without_calibration_tables_the_pages_say_so(db):
    seed(db, drop=("calibration_applied", "calibration_qa"))
    m = MeasurementSetsModel(db, stuck_hours=6.0, cal="yes")
    m.refresh()
    assert list(m.rows["path"]) == [A]  # the ms_index flag decides
    assert "calibration_applied" in m.missing_text and "calibration_qa" in m.missing_text
    d = MsDetailModel(db, path=A)
    d.load()
    assert d.error is None
    page = detail_html(d.detail)
    assert "no calibration_applied table" in page and "no calibration_qa table" in page


def test_unregistered_path_is_not_found(db):
    seed(db)
    d = MsDetailModel(db, path="/etc/passwd")
    d.load()
    assert d.not_found and d.detail is None and "/etc/passwd" in d.error
    empty = MsDetailModel(db, path="")
    empty.load()
    assert empty.not_found


def test_an_applied_table_outside_its_window_is_marked(db):
    seed(db)
    now = time.time()
    with db.transaction() as conn:
        for name, start, end in (("inside", MJD0 - 1, MJD0 + 1), ("late", MJD0 + 2, None)):
            insert(conn, "caltables", set_name=name, path=f"/cal/{name}.K", table_type="K",
                   order_index=0, created_at=now, valid_start_mjd=start, valid_end_mjd=end,
                   status="active")
            insert(conn, "calibration_applied", ms_path=A, caltable_path=f"/cal/{name}.K",
                   applied_at=now, success=1)
    d = MsDetailModel(db, path=A)
    d.load()
    page = detail_html(d.detail)
    assert page.count("dsa-status-outside") == 1
    assert page.index("/cal/late.K") < page.index("dsa-status-outside")


def test_funnel_over_time_fills_every_bin_in_stage_order(db):
    seed(db)
    m = MeasurementSetsModel(db, stuck_hours=6.0, history="7n")
    m.refresh()
    h = m.history_result
    assert h is not None and h.window == "7n"
    frame = history_frame(h)
    assert len(set(frame["bin"])) == 7  # empty nights too
    assert list(dict.fromkeys(frame["stage"])) == ["converted", "calibrated"]
    assert frame["count"].sum() == 3  # the seeded observations lie in the newest night
    fig = history_plot(h)
    # One stacked-bar renderer: each (night, stage) a segment from bottom to top, earliest
    # stage at the bottom; the legend names the stages in pipeline order.
    (bars,) = fig.renderers
    data = bars.data_source.data
    newest = [i for i, x in enumerate(data["x"]) if x == 6]
    assert [data["stage"][i] for i in newest] == ["converted", "calibrated"]
    assert [(data["bottom"][i], data["top"][i]) for i in newest] == [(0, 1), (1, 3)]
    assert sum(data["count"]) == 3
    assert [item.label.value for item in fig.legend[0].items] == ["converted", "calibrated"]
    assert fig.xaxis[0].major_label_overrides[6] == frame["bin"].iloc[-1]
    m.history = "24h"
    m.apply_history(m.fetch_history())
    assert m.history_result.window == "24h" and len(set(history_frame(m.history_result)["bin"])) == 24


def test_funnel_over_time_keeps_every_observation_and_labels_whole_hours():
    """Bins are matched by index: start MJDs computed per row and per window differ in
    their last bits, and matching them as floats dropped whole hours (and an hour's
    start printed as hh:59)."""
    import numpy as np
    import pandas as pd

    from dsa110_dashboard.viewmodels.ms_history import WINDOWS, FunnelHistory

    for window, (_label, days, step) in WINDOWS.items():
        for end in (61381.4761, 61381.9999, 61382.0417, MJD0 + 0.3):
            mids = end - np.arange(0, days, step / 2) - 1e-4
            first = np.floor(end / step) - round(days / step) + 1  # the window's first bin
            mids = mids[np.floor(mids / step) >= first]
            bins = np.floor(mids / step) * step
            counts = (pd.DataFrame({"bin_mjd": bins, "stage": "imaged"})
                      .groupby(["bin_mjd", "stage"]).size().reset_index(name="count"))
            frame = history_frame(FunnelHistory(window, end, counts))
            assert frame["count"].sum() == len(mids), (window, end)
            assert len(frame) == round(days / step)
            if step < 1:
                assert all(label.endswith(":00") for label in frame["bin"])
