"""The catalogue values of image QA rows (dash_image_qa_catalogue, revision 0010) on SQLite
and PostgreSQL: written beside an image_qa row, read per image, joined to image_qa rows
(NULL for rows the qa batch did not measure, never 0), and absent without the table."""

from __future__ import annotations

import sqlalchemy as sa
from dbsupport import settings_for
from factories import insert

from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.qa_catalogue import (
    ImageQACatalogueRepository,
    join_catalogue,
)


def test_written_read_and_joined(db_url):
    db = Database(settings_for(db_url))
    try:
        repo = ImageQACatalogueRepository(db)
        with db.transaction() as conn:
            pipeline = insert(conn, "image_qa", ms_path="/ms/a.ms", job_id=3,
                              image_path="/img/a.fits", timestamp=1.0)
            batch = insert(conn, "image_qa", ms_path="/ms/a.ms", job_id=0,
                           image_path="/img/a.fits", timestamp=2.0)
            assert repo.write(conn, int(batch["id"]), "/img/a.fits",
                              {"flux_scale_ratio": 0.95, "astrometry_offset_arcsec": 1.5,
                               "n_catalogue": 10, "n_matched": 8}, 2.0)
        [record] = repo.for_image("/img/a.fits").values()
        assert (record.image_qa_id, record.flux_scale_ratio, record.n_matched) == (
            batch["id"], 0.95, 8)
        assert repo.for_image("/img/other.fits") == {}

        qa = db.catalog["image_qa"]
        source, columns = join_catalogue(db, qa.table, qa["id"])
        with db.connect() as conn:
            rows = conn.execute(sa.select(qa["id"], *columns).select_from(source)
                                .order_by(qa["id"])).all()
        assert [tuple(r) for r in rows] == [(pipeline["id"], None, None),
                                            (batch["id"], 0.95, 1.5)]

        migrate.downgrade(db, "0009_image_flags")
        db.refresh_catalog()
        assert not repo.available and repo.for_image("/img/a.fits") == {}
        source, columns = join_catalogue(db, qa.table, qa["id"])
        with db.connect() as conn:
            rows = conn.execute(sa.select(qa["id"], *columns).select_from(source)
                                .order_by(qa["id"])).all()
        assert [tuple(r)[1:] for r in rows] == [(None, None), (None, None)]
        with db.transaction() as conn:
            assert not repo.write(conn, 1, "/img/a.fits", {}, 3.0)
    finally:
        db.dispose()
