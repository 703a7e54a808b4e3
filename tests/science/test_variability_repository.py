"""VariabilityRepository reads our V and two-epoch statistics when dash_variability has
a row for the source, and the pipeline's std/mean otherwise."""

import math

import sqlalchemy as sa

from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.dashboard_schema import dash_variability
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.repositories.variability import VariabilityRepository
from factories import insert_many


def fill(db):
    with db.transaction() as conn:
        # Pipeline V = std/mean: A 6/20 = 0.3, B 1/50 = 0.02, C 20/100 = 0.2
        insert_many(conn, "variability_stats", [
            {"source_id": "A", "mean_flux_mjy": 20.0, "std_flux_mjy": 6.0, "n_obs": 10},
            {"source_id": "B", "mean_flux_mjy": 50.0, "std_flux_mjy": 1.0, "n_obs": 10},
            {"source_id": "C", "mean_flux_mjy": 100.0, "std_flux_mjy": 20.0, "n_obs": 10}])
        if db.catalog["dash_variability"].exists:
            conn.execute(sa.insert(dash_variability), [
                {"source_id": "A", "v": 0.7, "vs_max": 5.0, "m_at_vs_max": 0.4,
                 "is_two_epoch_variable": 1},
                # Ours says undefined: it stays undefined, not the pipeline's value.
                {"source_id": "B", "v": None, "vs_max": None, "m_at_vs_max": None,
                 "is_two_epoch_variable": None}])


def test_our_v_wins_where_we_have_a_row(db):
    fill(db)
    repo = VariabilityRepository(db)
    pts = repo.eta_points().set_index("source_id")
    assert pts.loc["A", "v"] == 0.7 and pts.loc["A", "vs_max"] == 5.0
    assert pts.loc["A", "is_two_epoch_variable"] is True
    assert math.isnan(pts.loc["B", "v"]) and pts.loc["B", "is_two_epoch_variable"] is None
    assert pts.loc["C", "v"] == 0.2 and math.isnan(pts.loc["C", "vs_max"])
    page = repo.page(request=PageRequest(sort="v", descending=True))
    assert list(page.rows["source_id"]) == ["A", "C", "B"]
    assert page.total == 3


def test_without_the_table_v_comes_from_the_pipeline(db):
    migrate.downgrade(db, "0002_dashboard_indexes")
    fill(db)
    pts = VariabilityRepository(db).eta_points().set_index("source_id")
    assert pts.loc["A", "v"] == 0.3 and pts.loc["B", "v"] == 0.02
    assert math.isnan(pts.loc["A", "vs_max"])
    assert pts.loc["A", "is_two_epoch_variable"] is None


def test_a_source_record_carries_our_two_epoch_statistics(db):
    fill(db)
    from dsa110_dashboard.repositories.sources import SourceRepository

    repo = SourceRepository(db)
    a, c = repo.get("A"), repo.get("C")
    assert (a.vs_max, a.m_at_vs_max, a.is_two_epoch_variable) == (5.0, 0.4, 1)
    assert c.vs_max is None and c.is_two_epoch_variable is None
