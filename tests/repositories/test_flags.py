"""ImageFlags (dash_image_flags) on SQLite and PostgreSQL: stored, superseded, history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from factories import UNIX0, insert

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import InvalidInputError, NotFoundError, ReadOnlyError
from dsa110_dashboard.repositories.flags import MAX_NOTE_CHARS, ImageFlags
from dsa110_dashboard.repositories.paging import PageRequest
from dbsupport import settings_for


@pytest.fixture
def images(db):
    with db.transaction() as conn:
        ids = [insert(conn, "images", path=f"/img/{n}.fits", created_at=UNIX0 + n)["id"]
               for n in range(3)]
    return ids


def test_flag_is_stored_and_a_later_flag_supersedes(db, images):
    flags = ImageFlags(db)
    assert flags.available and flags.writable_reason() is None
    assert flags.current(images) == {}
    assert flags.flag([images[0], images[1]], "bad", "  RFI stripes ", "alice",
                      at=UNIX0 + 10) == 2
    assert flags.flag([images[0]], "good", "", "bob", at=UNIX0 + 20) == 1
    current = flags.current(images)
    assert set(current) == {images[0], images[1]}
    assert current[images[0]] == {"verdict": "good", "note": "", "user": "bob",
                                  "created_at": UNIX0 + 20}
    assert current[images[1]]["verdict"] == "bad"
    assert current[images[1]]["note"] == "RFI stripes"
    history = flags.history(images[0])
    assert list(history["verdict"]) == ["good", "bad"]
    assert list(history["user"]) == ["bob", "alice"]
    assert list(history["current"]) == [True, False]
    assert flags.history(images[2]).empty
    assert flags.bad_image_ids() == {images[1]}
    assert flags.bad_image_ids(images[:1]) == set()


def test_same_second_flags_are_ordered_by_id(db, images):
    flags = ImageFlags(db)
    flags.flag([images[2]], "bad", "", "alice", at=UNIX0)
    flags.flag([images[2]], "unsure", "", "alice", at=UNIX0)
    assert flags.current([images[2]])[images[2]]["verdict"] == "unsure"
    assert flags.bad_image_ids() == set()


def test_current_of_many_ids_reads_their_range_and_keeps_only_them(db):
    """More ids than one IN list (a QA range) are read as one id range: a flagged image
    inside the range that was not asked for stays out, as with a few ids."""
    from dsa110_dashboard.repositories.flags import _CHUNK

    with db.transaction() as conn:
        ids = [insert(conn, "images", path=f"/img/many{n}.fits", created_at=UNIX0 + n)["id"]
               for n in range(_CHUNK + 20)]
    flags = ImageFlags(db)
    skipped = ids[7]
    flags.flag([ids[0], ids[5], skipped, ids[-1]], "bad", "", "alice", at=UNIX0)
    asked = [i for i in ids if i != skipped]
    assert len(asked) > _CHUNK
    assert set(flags.current(asked)) == {ids[0], ids[5], ids[-1]}
    assert set(flags.current(asked[:10])) == {ids[0], ids[5]}  # the IN-list path


def test_only_many_dense_ids_are_read_as_a_range():
    from dsa110_dashboard.repositories.flags import _CHUNK, _dense

    assert _dense(list(range(10_000)))  # a QA month
    assert not _dense(list(range(0, 10 * _CHUNK, 5)))  # a lightcurve's spread images
    assert not _dense(list(range(_CHUNK)))  # one IN list


def test_history_comes_a_page_at_a_time_with_its_total_and_the_current_marked(db, images):
    flags = ImageFlags(db)
    for n, verdict in enumerate(("bad", "unsure", "good")):
        flags.flag([images[0]], verdict, f"note {n}", "alice", at=UNIX0 + n)
    first = flags.history_page(images[0], PageRequest(limit=2))
    assert first.total == 3 and first.has_next
    assert list(first.rows["verdict"]) == ["good", "unsure"]
    assert list(first.rows["current"]) == [True, False]
    rest = flags.history_page(images[0], PageRequest(offset=2, limit=2))
    assert list(rest.rows["verdict"]) == ["bad"] and not rest.has_next
    assert list(rest.rows["current"]) == [False]
    oldest_first = flags.history_page(images[0], PageRequest(limit=3, descending=False))
    assert list(oldest_first.rows["current"]) == [False, False, True]
    assert flags.newest(images[0])["verdict"] == "good"
    none = flags.history_page(images[1], PageRequest(limit=2))
    assert none.total == 0 and none.rows.empty and flags.newest(images[1]) is None


def test_sql_helpers_exclude_flagged_bad(db, images):
    flags = ImageFlags(db)
    flags.flag([images[1]], "bad", "", "alice", at=UNIX0)
    im = db.catalog["images"]
    with db.connect() as conn:
        kept = conn.execute(sa.select(im["id"]).where(~flags.flagged_bad_sql(im["id"]))
                            .order_by(im["id"])).scalars().all()
        paths = conn.execute(flags.bad_image_paths_sql()).scalars().all()
        by_path = conn.execute(sa.select(im["path"]).where(
            flags.flagged_bad_path_sql(im["path"]))).scalars().all()
    assert kept == [images[0], images[2]]
    assert paths == by_path == ["/img/1.fits"]


@pytest.mark.parametrize("kwargs, parameter", [
    ({"verdict": "awful"}, "verdict"),
    ({"verdict": None}, "verdict"),
    ({"note": "x" * (MAX_NOTE_CHARS + 1)}, "note"),
    ({"image_ids": []}, "image_ids"),
    ({"image_ids": ["3"]}, "image_ids"),
    ({"image_ids": [True]}, "image_ids"),
    ({"user": " "}, "user"),
])
def test_bad_input_is_named_and_nothing_is_stored(db, images, kwargs, parameter):
    args = {"image_ids": images[:1], "verdict": "bad", "note": "", "user": "alice"} | kwargs
    with pytest.raises(InvalidInputError) as err:
        ImageFlags(db).flag(**args)
    assert err.value.parameter == parameter
    assert ImageFlags(db).current(images) == {}


def test_unknown_image_flags_nothing(db, images):
    with pytest.raises(NotFoundError, match="999"):
        ImageFlags(db).flag([images[0], 999], "bad", "", "alice")
    assert ImageFlags(db).current(images) == {}


def test_read_only_database_refuses_and_says_why(db_url, db, images, backend):
    ro = Database(settings_for(db_url, DSA110_DASH_READ_ONLY="true"))
    try:
        flags = ImageFlags(ro)
        assert "read-only" in flags.writable_reason()
        with pytest.raises(ReadOnlyError):
            flags.flag(images[:1], "bad", "", "alice")
        assert flags.current(images) == {}
    finally:
        ro.dispose()
