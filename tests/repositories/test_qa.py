"""Grading helpers and QARepository on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from factories import UNIX0, insert

from dsa110_dashboard.repositories.qa import (
    DERIVED_FROM_DR,
    MEASURED,
    QARepository,
    dynamic_range_grade_sql,
    grade_calibration_flagged,
    grade_image_dynamic_range,
    image_warnings,
    latest_grade_sql,
    latest_grades,
)

DR_CASES = [(1000.1, "excellent"), (1000.0, "good"), (100.5, "good"), (100.0, "marginal"),
            (10.01, "marginal"), (10.0, "poor"), (0.0, "poor"), (None, "unknown"),
            (math.nan, "unknown")]


@pytest.mark.parametrize("dr, grade", DR_CASES)
def test_grade_image_dynamic_range(dr, grade):
    assert grade_image_dynamic_range(dr) == grade


@pytest.mark.parametrize("fraction, grade", [
    (0.0, "excellent"), (0.0999, "excellent"), (0.1, "good"), (0.29, "good"),
    (0.3, "marginal"), (0.5, "poor"), (0.9, "poor"), (None, "unknown")])
def test_grade_calibration_flagged(fraction, grade):
    assert grade_calibration_flagged(fraction) == grade


def test_image_warnings():
    assert image_warnings(3e-4, 500.0) == []
    assert len(image_warnings(0.02, 50.0)) == 2
    assert image_warnings(None, None) == []  # unknown is not a warning


def test_sql_grade_matches_python(db):
    values = [dr for dr, _ in DR_CASES if dr is None or not math.isnan(dr)]
    with db.connect() as conn:
        for dr in values:
            expr = dynamic_range_grade_sql(sa.literal(dr, sa.Float) if dr is not None
                                           else sa.null())
            assert conn.execute(sa.select(expr)).scalar() == grade_image_dynamic_range(dr)


@pytest.fixture
def sample(db):
    with db.transaction() as conn:
        a = insert(conn, "images", path="/img/a.fits", created_at=UNIX0 + 100,
                   dynamic_range=50.0)
        b = insert(conn, "images", path="/img/b.fits", created_at=UNIX0 + 200,
                   dynamic_range=5000.0)
        c = insert(conn, "images", path="/img/c.fits", created_at=UNIX0 + 300,
                   dynamic_range=None, noise_jy=None)
        insert(conn, "image_qa", image_path="/img/a.fits", overall_quality="poor",
               timestamp=UNIX0 + 150)
        insert(conn, "image_qa", image_path="/img/a.fits", overall_quality="good",
               timestamp=UNIX0 + 160, rms_noise=None)
        insert(conn, "image_qa", image_path="/img/gone.fits", overall_quality="strange",
               timestamp=UNIX0 + 170)
    return {"a": a["id"], "b": b["id"], "c": c["id"]}


def test_image_qa_for(db, sample):
    rows = QARepository(db).image_qa_for("/img/a.fits")
    assert [r.overall_quality for r in rows] == ["good", "poor"]
    assert rows[0].rms_noise is None and rows[0].num_sources is None
    assert QARepository(db).image_qa_for("/img/none.fits") == []


def test_image_qa_series_says_which_grade(db, sample):
    frame = QARepository(db).image_qa_series(UNIX0, UNIX0 + 1000)
    got = [(r.image_path, r.overall_quality, r.grade_kind) for r in frame.itertuples()]
    assert got == [
        ("/img/a.fits", "poor", MEASURED),
        ("/img/a.fits", "good", MEASURED),
        ("/img/gone.fits", "strange", MEASURED),
        ("/img/b.fits", "excellent", DERIVED_FROM_DR),
        ("/img/c.fits", "unknown", DERIVED_FROM_DR),
    ]
    assert frame["image_id"].iloc[0] == sample["a"] and frame["image_id"].isna().iloc[2]
    assert frame["rms_noise"].isna().iloc[4]
    narrow = QARepository(db).image_qa_series(UNIX0 + 155, UNIX0 + 250)
    assert list(narrow["image_path"]) == ["/img/a.fits", "/img/gone.fits", "/img/b.fits"]


def test_grade_counts(db, sample):
    counts = QARepository(db).grade_counts(since_unix=UNIX0)
    assert counts == {MEASURED: {"good": 1},
                      DERIVED_FROM_DR: {"excellent": 1, "unknown": 1}}
    assert QARepository(db).grade_counts(since_unix=UNIX0 + 250) == {
        MEASURED: {}, DERIVED_FROM_DR: {"unknown": 1}}


def test_grade_counts_an_image_whose_latest_grade_is_null_as_measured_unknown(db, sample):
    """Assessed (it has image_qa rows) with no grade in the latest one: measured
    'unknown', not its dynamic range's grade; an older row's grade does not count."""
    with db.transaction() as conn:
        insert(conn, "image_qa", image_path="/img/b.fits", overall_quality="good",
               timestamp=UNIX0 + 210)
        insert(conn, "image_qa", image_path="/img/b.fits", overall_quality=None,
               timestamp=UNIX0 + 220)
    assert QARepository(db).grade_counts(since_unix=UNIX0) == {
        MEASURED: {"good": 1, "unknown": 1}, DERIVED_FROM_DR: {"unknown": 1}}


def test_calibration_qa_series(db):
    with db.transaction() as conn:
        insert(conn, "calibration_qa", timestamp=UNIX0 + 1, per_spw_stats=(
            '[{"spw_id": 1, "is_problematic": true}, {"spw_id": 2, "fraction_flagged": 0.9}]'))
        insert(conn, "calibration_qa", timestamp=UNIX0 + 2, per_spw_stats="broken",
               flags_total=None)
        insert(conn, "calibration_qa", timestamp=UNIX0 + 99)
    frame = QARepository(db).calibration_qa_series(UNIX0, UNIX0 + 10)
    assert list(frame["n_problematic_spws"]) == [2, 0]
    assert frame["flags_total"].isna().all()


def test_latest_grades_at_once_agree_with_the_per_row_expression(db, sample):
    """``latest_grades`` (one query per 500 distinct paths) gives what ``latest_grade_sql``
    gives row by row: the newest row's grade, the greater id on a tie of timestamps, no
    entry for a path never assessed; more paths than one IN list holds."""
    with db.transaction() as conn:
        tie = [insert(conn, "image_qa", image_path="/img/b.fits", overall_quality=q,
                      timestamp=UNIX0 + 400)["id"] for q in ("marginal", "excellent")]
    assert tie[1] > tie[0]
    q = db.catalog["image_qa"]
    paths = ["/img/a.fits", "/img/b.fits", "/img/c.fits", "/img/gone.fits", None,
             *(f"/img/unseen-{i}.fits" for i in range(1200))]
    with db.connect() as conn:
        at_once = latest_grades(conn, q, paths + paths[:3])
        one_by_one = {p: conn.execute(sa.select(latest_grade_sql(q, sa.literal(p)))).scalar()
                      for p in paths[:4]}
    assert at_once == {"/img/a.fits": "good", "/img/b.fits": "excellent",
                       "/img/gone.fits": "strange"}
    assert one_by_one == {**at_once, "/img/c.fits": None}
