"""One meaning of "bad" (issue 15): the source page's live statistics and
``dsa110-dash variability --exclude-failed-qa`` leave out the same epochs, by the one
definition of science/qa.py; people's flags are honoured by both (left out by default,
back when included). SQLite and PostgreSQL.

Each epoch below is failed QA by a different route, so a second list of bad words in
either place (the variability job once knew only "poor") makes the two disagree.
"""

from __future__ import annotations

import sqlalchemy as sa
import pytest

from dsa110_dashboard.jobs.variability import recompute_variability
from dsa110_dashboard.repositories.flags import ImageFlags
from dsa110_dashboard.science.variability import lightcurve_stats
from dsa110_dashboard.viewmodels.source_detail import SourceDetailModel
from factories import MJD0, UNIX0, insert

SOURCE = "NVSS J101010.0+543000"
#: (flux Jy, latest grade, photometry quality_flag)
EPOCHS = [
    (0.050, "good", None),
    (0.051, "excellent", None),
    (0.090, "poor", None),            # the pipeline's word
    (0.030, "Failed", None),          # an older pipeline's word, another case
    (0.070, "good", "image_qa_poor"),  # the row's flag, not the grade
    (0.049, "marginal", None),
    (0.052, None, None),              # never assessed: not failed
    (0.150, "good", None),            # the outlier people flag bad
    (0.050, "good", None),
]
FAILED = {2, 3, 4}
OUTLIER = 7


@pytest.fixture
def seeded(db):
    ids = []
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id=SOURCE, ra_deg=152.54, dec_deg=54.5)
        for i, (flux, grade, flag) in enumerate(EPOCHS):
            img = insert(conn, "images", path=f"/data/images/bad{i}-image.fits")
            ids.append(img["id"])
            if grade is not None:
                insert(conn, "image_qa", image_path=img["path"], timestamp=UNIX0 + i,
                       overall_quality=grade)
            insert(conn, "photometry", source_id=SOURCE, image_path=img["path"],
                   ra_deg=152.54, dec_deg=54.5, mjd=MJD0 + i, normalized_flux_jy=flux,
                   normalized_flux_err_jy=0.001, quality_flag=flag)
    return db, ids


def stored(db) -> dict:
    with db.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM dash_variability WHERE source_id = :s"),
                           {"s": SOURCE}).mappings().one()
    return dict(row)


def page_stats(db, **params) -> dict:
    m = SourceDetailModel(db, SOURCE, **params)
    m.refresh()
    assert m.error is None
    return m.stats


def expected(skip: set[int]) -> dict:
    kept = [f for i, (f, _, _) in enumerate(EPOCHS) if i not in skip]
    return lightcurve_stats(kept, [0.001] * len(kept))


def test_source_page_and_variability_job_agree_on_failed_qa(seeded):
    db, _ = seeded
    live = page_stats(db, exclude_qa=True)
    recompute_variability(db, exclude_failed_qa=True)
    job = stored(db)
    assert live["n_epochs"] == job["n_epochs"] == len(EPOCHS) - len(FAILED)
    assert job["excluded_qa_epochs"] == len(FAILED)
    assert live["eta"] == pytest.approx(job["eta"])
    assert live["v"] == pytest.approx(job["v"])
    assert job["eta"] == pytest.approx(expected(FAILED)["eta"])
    # And with nothing left out, both count every epoch.
    recompute_variability(db, exclude_failed_qa=False)
    assert page_stats(db, exclude_qa=False)["n_epochs"] == stored(db)["n_epochs"] == len(EPOCHS)


def test_flagged_bad_outlier_changes_eta_and_including_it_brings_it_back(seeded):
    db, ids = seeded
    before = page_stats(db, exclude_qa=False)
    assert before["eta"] == pytest.approx(expected(set())["eta"])

    ImageFlags(db).flag([ids[OUTLIER]], "bad", "sidelobe of a bright source", "alice")
    flagged = page_stats(db, exclude_qa=False)
    assert flagged["n_epochs"] == len(EPOCHS) - 1
    assert flagged["eta"] == pytest.approx(expected({OUTLIER})["eta"])
    assert flagged["eta"] < before["eta"] / 2, "the outlier dominated eta"
    recompute_variability(db)
    job = stored(db)
    assert job["eta"] == pytest.approx(flagged["eta"]) and job["excluded_qa_epochs"] == 1

    included = page_stats(db, exclude_qa=False, include_flagged=True)
    assert included["eta"] == pytest.approx(before["eta"])
    summary = recompute_variability(db, include_flagged=True)
    assert summary.flagged == 0 and stored(db)["eta"] == pytest.approx(before["eta"])

    # A later flag supersedes: flagged good again, the epoch counts by default.
    ImageFlags(db).flag([ids[OUTLIER]], "good", "checked: real", "bob")
    assert page_stats(db, exclude_qa=False)["eta"] == pytest.approx(before["eta"])
    assert recompute_variability(db).flagged == 0


def test_both_together(seeded):
    db, ids = seeded
    ImageFlags(db).flag([ids[OUTLIER], ids[2]], "bad", "", "alice")
    live = page_stats(db)  # the page's defaults: QA-failed and flagged-bad left out
    summary = recompute_variability(db, exclude_failed_qa=True)
    assert live["n_epochs"] == stored(db)["n_epochs"] == len(EPOCHS) - len(FAILED) - 1
    assert live["eta"] == pytest.approx(stored(db)["eta"])
    assert summary.flagged == 2 and summary.excluded == len(FAILED) + 1
