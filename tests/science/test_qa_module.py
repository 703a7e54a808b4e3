"""science/qa.py: the one QA module (grades, kinds, what failed QA means)."""

from __future__ import annotations

import numpy as np

from dsa110_dashboard.science import qa


def test_failed_qa_is_one_definition():
    assert qa.is_failed_qa("poor") and qa.is_failed_qa(" Poor ")
    assert not any(qa.is_failed_qa(g) for g in ("excellent", "good", "marginal", "unknown",
                                                 None, ""))
    assert all(qa.is_failed_qa(g) for g in qa.FAILED_QA_GRADES)
    assert qa.is_failed_qa_flag("image_qa_poor") and not qa.is_failed_qa_flag("low_snr")
    mask = qa.failed_qa_mask(["good", "poor", None, "good"],
                             [None, None, None, "image_qa_poor"])
    assert list(mask) == [False, True, False, True]


def test_grades_and_kinds():
    assert qa.grade_image(5000.0, 3e-4) == "excellent"
    assert list(qa.grade_dynamic_range_array(np.array([2000.0, 500.0, 50.0, 5.0, np.nan]))) \
        == ["excellent", "good", "marginal", "poor", "unknown"]
    assert qa.coarse_stage_grade("imaged") == "good"
    assert qa.coarse_stage_grade("calibrated") == "warn"
    assert qa.coarse_stage_grade(None) == "fail"
    assert set(qa.GRADE_KINDS) == {qa.MEASURED, qa.DERIVED_FROM_DR, qa.STAGE_DERIVED}
    assert qa.FLAG_BAD in qa.FLAG_VERDICTS
