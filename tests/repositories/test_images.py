"""ImageRepository on SQLite and PostgreSQL (the ``db`` fixture), plus an older file."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from dbsupport import settings_for
from factories import MJD0, UNIX0, insert

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import InvalidInputError, NotFoundError
from dsa110_dashboard.repositories.images import ImageFilter, ImageRepository
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.science.times import mjd_to_unix, unix_to_mjd

DAY = 86400.0


def ms(conn, name: str, mid_mjd: float | None, **values):
    return insert(conn, "ms_index", path=f"/data/ms/{name}.ms", mid_mjd=mid_mjd, **values)


def image(conn, name: str, ms_path: str, **values):
    return insert(conn, "images", path=f"/data/images/{name}.fits", ms_path=ms_path,
                  **values)


@pytest.fixture
def sample(db):
    """Four images: three with an MS mid_mjd, one whose MS row is missing."""
    with db.transaction() as conn:
        a = ms(conn, "a", MJD0 + 0.1)
        b = ms(conn, "b", MJD0 + 0.3)
        c = ms(conn, "c", None)  # MS row without mid_mjd: falls back to created_at
        ids = {
            "a": image(conn, "a", a["path"], created_at=UNIX0 + 500, type="5min",
                       noise_jy=3e-4, dynamic_range=800.0, center_dec_deg=54.57,
                       field_name="drift")["id"],
            "b": image(conn, "b", b["path"], created_at=UNIX0 + 100, type="pbcor",
                       noise_jy=2e-2, dynamic_range=50.0, center_dec_deg=16.3,
                       field_name="drift")["id"],
            "c": image(conn, "c", c["path"], created_at=mjd_to_unix(MJD0 + 0.2),
                       type="residual", noise_jy=None, dynamic_range=None,
                       center_dec_deg=None, field_name="other")["id"],
            "d": image(conn, "d", "/data/ms/missing.ms",
                       created_at=mjd_to_unix(MJD0 + 0.4), type="mystery-type",
                       noise_jy=1e-3, dynamic_range=2000.0, center_dec_deg=65.7)["id"],
        }
        insert(conn, "image_qa", image_path="/data/images/a.fits", overall_quality="poor",
               timestamp=UNIX0 + 10)
        insert(conn, "image_qa", image_path="/data/images/a.fits",
               overall_quality="excellent", timestamp=UNIX0 + 20)
        insert(conn, "image_qa", image_path="/data/images/b.fits", overall_quality="good",
               timestamp=UNIX0 + 30)
        insert(conn, "image_qa", image_path="/data/images/d.fits",
               overall_quality="unknown", timestamp=UNIX0 + 40)
    return ids


def ids_of(page) -> list[int]:
    return [int(i) for i in page.rows["id"]]


def test_get_carries_mjd_source_and_latest_qa(db, sample):
    repo = ImageRepository(db)
    a = repo.get(sample["a"])
    assert a.mjd == pytest.approx(MJD0 + 0.1) and a.mjd_source == "ms_index"
    assert a.qa_grade == "excellent"  # the later of the two QA rows
    c = repo.get(sample["c"])
    assert c.mjd_source == "created_at" and c.mjd == pytest.approx(MJD0 + 0.2)
    assert c.qa_grade is None
    assert c.noise_jy is None and c.dynamic_range is None and c.center_dec_deg is None
    d = repo.get_by_path("/data/images/d.fits")
    assert d.id == sample["d"] and d.mjd_source == "created_at"
    assert d.type == "mystery-type"


def test_get_missing_raises_not_found(db, sample):
    repo = ImageRepository(db)
    with pytest.raises(NotFoundError):
        repo.get(999_999)
    with pytest.raises(NotFoundError):
        repo.get_by_path("/nowhere.fits")
    with pytest.raises(NotFoundError):
        repo.path_of(999_999)


def test_path_of_is_the_records_path(db, sample):
    repo = ImageRepository(db)
    assert repo.path_of(sample["d"]) == repo.get(sample["d"]).path == "/data/images/d.fits"


@pytest.mark.parametrize("flt, expected", [
    (ImageFilter(mjd_min=MJD0 + 0.15, mjd_max=MJD0 + 0.35), {"b", "c"}),
    (ImageFilter(mjd_min=MJD0 + 0.35), {"d"}),
    (ImageFilter(mjd_max=MJD0 + 0.15), {"a"}),
    (ImageFilter(created_after=UNIX0 + 200, created_before=UNIX0 + 600), {"a"}),
    (ImageFilter(types=("pbcor", "mystery-type")), {"b", "d"}),
    (ImageFilter(field="other"), {"c"}),
    (ImageFilter(dec_min=50, dec_max=60), {"a"}),
    (ImageFilter(noise_min=5e-4), {"b", "d"}),
    (ImageFilter(noise_max=5e-4), {"a"}),
    (ImageFilter(dr_min=100, dr_max=1000), {"a"}),
    (ImageFilter(qa_grade=("excellent",)), {"a"}),
    (ImageFilter(qa_grade=("poor",)), set()),  # only the latest row counts
    (ImageFilter(qa_grade=("unknown",)), {"c", "d"}),  # no QA row, or graded unknown
    (ImageFilter(path_contains="B.FI"), {"b"}),
    (ImageFilter(ms_path="/data/ms/missing.ms"), {"d"}),
    (ImageFilter(types=("5min", "pbcor"), dr_min=100), {"a"}),
])
def test_filters_narrow(db, sample, flt, expected):
    page = ImageRepository(db).page(flt, PageRequest(limit=100))
    by_id = {v: k for k, v in sample.items()}
    assert {by_id[i] for i in ids_of(page)} == expected
    assert page.total == len(expected)


def test_like_wildcards_are_literal(db):
    with db.transaction() as conn:
        plain = image(conn, "abcdef", "/m.ms")["id"]
        literal = image(conn, "ab%_x", "/m.ms")["id"]
    repo = ImageRepository(db)
    assert ids_of(repo.page(ImageFilter(path_contains="%"))) == [literal]
    assert ids_of(repo.page(ImageFilter(path_contains="b%_"))) == [literal]
    assert set(ids_of(repo.page(ImageFilter(path_contains="ab")))) == {plain, literal}


def test_injection_in_path_contains_is_data(db, sample):
    repo = ImageRepository(db)
    page = repo.page(ImageFilter(path_contains="'; DROP TABLE images; --"))
    assert page.total == 0
    assert repo.page().total == 4


@pytest.mark.parametrize("sort", ["path; DROP TABLE images", "nope", "ms_path"])
def test_sort_outside_whitelist_is_rejected(db, sample, sort):
    repo = ImageRepository(db)
    with pytest.raises(InvalidInputError) as info:
        repo.page(ImageFilter(), PageRequest(sort=sort))
    assert info.value.parameter == "sort"
    with pytest.raises(InvalidInputError):
        repo.iter_rows(ImageFilter(), PageRequest(sort=sort))
    assert repo.page().total == 4


def test_default_sort_is_created_at_desc(db, sample):
    page = ImageRepository(db).page()
    created = list(page.rows["created_at"])
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("descending", [True, False])
def test_sort_by_mjd_uses_fallback_times(db, sample, descending):
    page = ImageRepository(db).page(None, PageRequest(sort="mjd", descending=descending))
    order = [sample[k] for k in ("a", "c", "b", "d")]
    assert ids_of(page) == (order[::-1] if descending else order)
    assert list(page.rows["mjd_source"]) == (
        ["created_at", "ms_index", "created_at", "ms_index"] if descending
        else ["ms_index", "created_at", "ms_index", "created_at"])


@pytest.mark.parametrize("descending", [True, False])
def test_nulls_sort_last_both_ways(db, sample, descending):
    page = ImageRepository(db).page(None, PageRequest(sort="noise_jy",
                                                      descending=descending))
    assert ids_of(page)[-1] == sample["c"]
    assert pd.isna(page.rows["noise_jy"].iloc[-1])
    noise = list(page.rows["noise_jy"].iloc[:-1])
    assert noise == sorted(noise, reverse=descending)


def test_sort_by_qa_grade_ranks_grades(db, sample):
    page = ImageRepository(db).page(None, PageRequest(sort="qa_grade"))
    assert ids_of(page)[:3] == [sample["a"], sample["b"], sample["d"]]
    assert ids_of(page)[3] == sample["c"]  # never assessed: last


def test_paging_total_and_slices(db):
    with db.transaction() as conn:
        ids = [image(conn, f"p{i:02d}", "/m.ms", created_at=UNIX0 + i)["id"]
               for i in range(7)]
    repo = ImageRepository(db)
    first = repo.page(None, PageRequest(limit=3, sort="created_at", descending=False))
    last = repo.page(None, PageRequest(offset=6, limit=3, sort="created_at",
                                       descending=False))
    assert ids_of(first) == ids[:3] and first.total == 7 and first.has_next
    assert ids_of(last) == ids[6:] and last.total == 7 and not last.has_next


def test_all_optional_columns_null_stay_none(db):
    with db.transaction() as conn:
        row = insert(conn, "images", path="/x/bare.fits", ms_path="/x/bare.ms",
                     created_at=UNIX0, type="dirty", format=None, noise_jy=None,
                     dynamic_range=None, center_ra_deg=None, center_dec_deg=None,
                     beam_major_arcsec=None, beam_minor_arcsec=None, beam_pa_deg=None,
                     freq_ghz=None, pbcor=None)
    record = ImageRepository(db).get(row["id"])
    for name in ("format", "noise_jy", "dynamic_range", "center_ra_deg", "center_dec_deg",
                 "beam_major_arcsec", "beam_minor_arcsec", "beam_pa_deg", "freq_ghz",
                 "imsize_x", "imsize_y", "cellsize_arcsec", "pbcor", "field_name",
                 "qa_grade"):
        assert getattr(record, name) is None, name
    assert record.mjd == pytest.approx(unix_to_mjd(UNIX0))
    frame = ImageRepository(db).page().rows
    assert frame["noise_jy"].isna().all() and not (frame["noise_jy"] == 0).any()


def test_iter_rows_streams_every_row_in_order(db):
    with db.transaction() as conn:
        for i in range(23):
            image(conn, f"s{i:02d}", "/m.ms", created_at=UNIX0 + i,
                  type="5min" if i % 2 else "image")
    repo = ImageRepository(db)
    chunks = list(repo.iter_rows(ImageFilter(types=("5min",)),
                                 PageRequest(sort="created_at", descending=False),
                                 chunk_size=4))
    assert [len(c) for c in chunks] == [4, 4, 3]
    frame = pd.concat(chunks)
    assert list(frame["created_at"]) == [UNIX0 + i for i in range(1, 23, 2)]
    assert {"mjd", "mjd_source", "qa_grade"} <= set(frame.columns)


def test_neighbours_in_observation_order(db, sample):
    repo = ImageRepository(db)
    assert repo.neighbours(sample["a"]) == (None, sample["c"])
    assert repo.neighbours(sample["c"]) == (sample["a"], sample["b"])
    assert repo.neighbours(sample["d"]) == (sample["b"], None)


def test_neighbours_interleave_ms_and_creation_times(db):
    """Each image's neighbours are those of one sort of every image by (observation
    time, id), whichever clock times each: MS mid_mjd, or created_at (no MS row, or an
    MS without mid_mjd), with ties (images of one MS, MS rows of one time) broken by id."""
    with db.transaction() as conn:
        no_time = ms(conn, "no-time", None)
        for i, (kind, t) in enumerate([("ms", 0.10), ("created", 0.05), ("ms", 0.20),
                                       ("created", 0.20), ("ms", 0.20), ("missing", 0.30),
                                       ("ms", 0.40), ("created", 0.35), ("created", 0.50),
                                       ("ms", 0.10)]):
            if kind == "ms":
                image(conn, f"n{i}", ms(conn, f"n{i}", MJD0 + t)["path"],
                      created_at=UNIX0 + 9999 - i)  # creation order unlike observation
            else:
                path = no_time["path"] if kind == "created" else "/data/ms/gone.ms"
                image(conn, f"n{i}", path, created_at=mjd_to_unix(MJD0 + t))
        for i in (10, 11):  # more images of one MS: the same time, ordered by id
            image(conn, f"n{i}", "/data/ms/n2.ms", created_at=UNIX0)
    repo = ImageRepository(db)
    frame = repo.page(request=PageRequest(limit=100, sort="id")).rows
    order = [int(i) for i in frame.sort_values(["mjd", "id"])["id"]]
    assert len(order) == 12
    for k, image_id in enumerate(order):
        expected = (order[k - 1] if k else None, order[k + 1] if k + 1 < len(order) else None)
        assert repo.neighbours(image_id) == expected, image_id


def test_latest_centres_types(db, sample):
    repo = ImageRepository(db)
    assert repo.latest().id == sample["a"]  # newest created_at
    centres = repo.centres()
    assert list(centres.columns) == ["id", "ra", "dec", "mjd"]
    assert sample["c"] not in set(centres["id"])  # no recorded centre
    recent = repo.centres(since_unix=UNIX0 + 400)
    assert set(recent["id"]) == {sample["a"]}
    assert repo.types() == sorted(["5min", "pbcor", "residual", "mystery-type"])


def test_provenance(db):
    with db.transaction() as conn:
        m = ms(conn, "2025-10-17T12:00:00", MJD0 + 0.5, stage="imaged")
        img = image(conn, "prov", m["path"])["id"]
        old = insert(conn, "jobs", ms_path=m["path"], created_at=UNIX0, type="imaging")
        new = insert(conn, "jobs", ms_path=m["path"], created_at=UNIX0 + 50,
                     type="pipeline_rerun")
        insert(conn, "jobs", ms_path="/other.ms")
        insert(conn, "caltables", set_name="s1", path="/cal/k", table_type="K",
               order_index=10, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1)
        insert(conn, "caltables", set_name="s2", path="/cal/old", table_type="BP",
               valid_start_mjd=MJD0 - 2, valid_end_mjd=MJD0 - 1)
        insert(conn, "calibration_applied", ms_path=m["path"], caltable_path="/cal/k")
    prov = ImageRepository(db).provenance(img)
    assert prov.image.id == img
    assert prov.measurement_set.path == m["path"]
    assert prov.measurement_set.run_id == "job-2025-10-17-120000"
    assert [j.id for j in prov.jobs] == [new["id"], old["id"]]
    assert [t.path for t in prov.calibration_tables] == ["/cal/k"]
    assert [a.caltable_path for a in prov.calibration_applied] == ["/cal/k"]


def test_provenance_without_ms_row(db):
    with db.transaction() as conn:
        img = image(conn, "orphan", "/data/ms/gone.ms")["id"]
    prov = ImageRepository(db).provenance(img)
    assert prov.measurement_set is None and prov.jobs == ()
    assert prov.image.mjd_source == "created_at"


# ------------------------------------------------- an older file (SQLite only)

def _older_database(path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE ms_index (path TEXT PRIMARY KEY, mid_mjd REAL, status TEXT,
                               stage TEXT, created_at REAL NOT NULL);
        CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,
                             ms_path TEXT NOT NULL, created_at REAL NOT NULL,
                             type TEXT NOT NULL, beam_major_arcsec REAL);
        CREATE TABLE photometry (id INTEGER PRIMARY KEY, image_path TEXT NOT NULL,
                                 ra_deg REAL NOT NULL, dec_deg REAL NOT NULL);
    """)
    conn.execute("INSERT INTO ms_index VALUES ('/ms/a.ms', 60965.5, 'done', 'imaged', 1)")
    conn.execute("INSERT INTO images VALUES (1, '/img/a.fits', '/ms/a.ms', 1760716800, "
                 "'image', NULL)")
    conn.execute("INSERT INTO images VALUES (2, '/img/b.fits', '/ms/b.ms', 1760716900, "
                 "'clean', 18.0)")
    conn.commit()
    conn.close()


def test_older_database_missing_columns_and_qa_table(tmp_path):
    path = tmp_path / "old.sqlite3"
    _older_database(path)
    db = Database(settings_for(str(path)))
    try:
        repo = ImageRepository(db)
        page = repo.page(ImageFilter(noise_max=1.0, types=("image", "clean")),
                         PageRequest(sort="noise_jy"))
        assert page.total == 0  # noise unknown: a noise bound matches nothing
        page = repo.page(ImageFilter(qa_grade=("unknown",)),
                         PageRequest(sort="dynamic_range"))
        assert page.total == 2 and page.rows["dynamic_range"].isna().all()
        record = repo.get(1)
        assert record.noise_jy is None and record.dynamic_range is None
        assert record.center_dec_deg is None and record.qa_grade is None
        assert record.mjd == 60965.5 and record.mjd_source == "ms_index"
        assert repo.get(2).mjd_source == "created_at"
        assert repo.neighbours(1) == (None, 2)  # image 2: created_at is MJD 60965.67
        by_mjd = repo.page(ImageFilter(mjd_min=60965.4, mjd_max=60965.6),
                            PageRequest(sort="mjd"))
        assert ids_of(by_mjd) == [1]
        assert sum(len(c) for c in repo.iter_rows()) == 2
        assert repo.page(ImageFilter(qa_grade=("good",))).total == 0
    finally:
        db.dispose()


def test_missing_images_table_gives_empty_results(tmp_path):
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    db = Database(settings_for(str(path)))
    try:
        repo = ImageRepository(db)
        page = repo.page()
        assert page.total == 0 and "mjd" in page.rows.columns
        assert list(repo.iter_rows()) == []
        assert repo.latest() is None and repo.types() == [] and repo.centres().empty
        with pytest.raises(NotFoundError):
            repo.get(1)
        with pytest.raises(InvalidInputError):
            repo.page(None, PageRequest(sort="bogus"))
    finally:
        db.dispose()


def test_page_reads_in_two_statements(db, sample):
    """A page (count + rows) is two statements however many rows it holds."""
    import sqlalchemy as sa

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    assert db.catalog is not None  # read the catalog before counting
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        ImageRepository(db).page(ImageFilter(mjd_min=MJD0), PageRequest(sort="mjd"))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    # A page in time order begins with its common table expression (decision 0075).
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 2
