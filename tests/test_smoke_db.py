from factories import insert
import sqlalchemy as sa


def test_fresh_database_is_at_head_and_writable(db):
    with db.transaction() as conn:
        row = insert(conn, "images")
    images = db.catalog["images"]
    with db.connect() as conn:
        path = conn.execute(sa.select(images["path"]).where(images["id"] == row["id"])).scalar()
    assert path == row["path"]
