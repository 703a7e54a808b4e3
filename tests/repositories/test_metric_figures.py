"""The figures /metrics reads from the database (metrics.figures), on SQLite and
PostgreSQL: counts, the image rate and newest image at a given time, jobs by status, the
queue per type, and the reuse of one read within the cache time."""

from __future__ import annotations

from factories import insert

from dsa110_dashboard.metrics.figures import FigureReader

NOW = 1_800_000_000.0


def test_figures_on_both_backends(db):
    with db.transaction() as conn:
        for age in (10, 1000, 4000, 50_000, 90_000):
            insert(conn, "images", path=f"/img/{age}.fits", created_at=NOW - age)
        insert(conn, "jobs", type="imaging", status="completed", created_at=NOW - 500)
        insert(conn, "jobs", type="imaging", status="pending", created_at=NOW - 300)
        insert(conn, "jobs", type="imaging", status="pending", created_at=NOW - 60)
        insert(conn, "jobs", type="qa", status="running", created_at=NOW - 30)
    clock = [NOW]
    reader = FigureReader(db, count_cache_seconds=0.001, cache_seconds=15,
                          clock=lambda: clock[0])
    f = reader.figures()
    assert f.counts["images"].value == 5 and f.counts["images"].exact
    assert (f.images_last_hour, f.images_last_day) == (2, 4)
    assert f.newest_image_at == NOW - 10
    assert f.jobs_by_status == {"completed": 1, "pending": 2, "running": 1}
    assert f.queue == {"imaging": {"pending": 2, "running": 0},
                       "qa": {"pending": 0, "running": 1}}
    assert f.oldest_pending_at == {"imaging": NOW - 300}
    with db.transaction() as conn:
        insert(conn, "images", path="/img/new.fits", created_at=NOW - 1)
    clock[0] = NOW + 5
    assert reader.figures() is f, "reused within the cache time"
    clock[0] = NOW + 16
    assert reader.figures().images_last_hour == 3
