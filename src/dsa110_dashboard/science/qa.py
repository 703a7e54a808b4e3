"""Quality assessment for the whole product: thresholds, grades, and what "failed" means.

Pure (no database, no Panel). Every grade the dashboard shows is one of three kinds, and
every result says which one it carries:

- ``measured``: ``image_qa.overall_quality`` (or our batch QA, which grades with
  :func:`grade_image` below) -- a measurement of the image;
- ``derived-from-dynamic-range``: our grading of ``images.dynamic_range`` for an image the
  QA step never assessed (the same thresholds, one number only);
- ``stage-derived``: the old web API's coarse grade from how far the measurement set got
  through the pipeline (``good``/``warn``/``fail``). Not a measurement of quality.

An epoch counts as failed QA (for the lightcurve marks, the source page's live statistics,
``dsa110-dash variability --exclude-failed-qa`` and the lightcurve export) when its image's
latest grade is in :data:`FAILED_QA_GRADES` or the pipeline flagged the photometry row with
one of :data:`FAILED_QA_FLAGS`. People's flags (``dash_image_flags``, verdict ``bad``) are a
separate matter: see :data:`FLAG_VERDICTS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

#: The measured grade words, best first, then "never assessed".
GRADES = ("excellent", "good", "marginal", "poor", "unknown")
UNKNOWN_GRADE = "unknown"

#: Grade kinds (what a shown grade is a grade of).
MEASURED = "measured"
DERIVED_FROM_DR = "derived-from-dynamic-range"
STAGE_DERIVED = "stage-derived"
GRADE_KINDS = (MEASURED, DERIVED_FROM_DR, STAGE_DERIVED)

#: Image thresholds (science.md): DR > 1000 excellent, > 100 good, > 10 marginal.
DR_EXCELLENT, DR_GOOD, DR_MARGINAL = 1000.0, 100.0, 10.0
#: The pipeline's image warnings: noise above 10 mJy/beam, dynamic range below 100.
NOISE_WARNING_JY = 0.010
DR_WARNING = 100.0

#: Calibration: mean flagged fraction < 0.1 excellent, < 0.3 good, < 0.5 marginal.
FLAGGED_EXCELLENT, FLAGGED_GOOD, FLAGGED_MARGINAL = 0.1, 0.3, 0.5
FLAGGED_GRADES = ((FLAGGED_EXCELLENT, "excellent"), (FLAGGED_GOOD, "good"),
                  (FLAGGED_MARGINAL, "marginal"))
#: A channel flagged above this is high; a spectral window averaging above 0.8 is
#: problematic.
CHANNEL_FLAGGED_HIGH = 0.5
PROBLEMATIC_SPW_FLAGGED = 0.8

#: Flux scale against NVSS: |1 - mean ratio| > 0.2 an issue, > 0.1 a warning; scatter
#: > 0.3 a warning. Astrometry: offset RMS > 5 arcsec an issue, > 2.5 a warning; a
#: systematic offset > 2 arcsec a warning. Calibrator flux drift > 20 % alerts.
FLUX_RATIO_ISSUE, FLUX_RATIO_WARNING, FLUX_RATIO_SCATTER_WARNING = 0.2, 0.1, 0.3
ASTROMETRY_RMS_ISSUE_ARCSEC, ASTROMETRY_RMS_WARNING_ARCSEC = 5.0, 2.5
ASTROMETRY_SYSTEMATIC_WARNING_ARCSEC = 2.0
CALIBRATOR_DRIFT_ALERT = 0.20

#: The old API's coarse grade from the measurement set's stage (NOT measured quality).
GOOD_STAGES = frozenset({"imaged", "mosaicked", "cataloged"})
WARN_STAGES = frozenset({"calibrated"})
STAGE_GRADES = ("good", "warn", "fail")

#: Latest image grades that make an epoch "failed QA". ``poor`` is the pipeline's word;
#: the others are what older pipeline versions and hand edits have written. Compared
#: case-insensitively.
FAILED_QA_GRADES = frozenset({"poor", "fail", "failed", "bad"})
#: Photometry ``quality_flag`` values that mark the row's image as failed QA.
FAILED_QA_FLAGS = frozenset({"image_qa_poor", "qa_failed", "image_qa_failed"})

#: People's verdicts on an image (dash_image_flags.verdict); the newest one is current.
FLAG_VERDICTS = ("good", "bad", "unsure")
FLAG_BAD = "bad"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def grade_image_dynamic_range(dynamic_range: float | None) -> str:
    """The image grade from its dynamic range (science.md); ``unknown`` without one."""
    if _missing(dynamic_range):
        return UNKNOWN_GRADE
    if dynamic_range > DR_EXCELLENT:
        return "excellent"
    if dynamic_range > DR_GOOD:
        return "good"
    if dynamic_range > DR_MARGINAL:
        return "marginal"
    return "poor"


def grade_image(dynamic_range: float | None, noise_jy: float | None = None) -> str:
    """The measured image grade. The pipeline grades on dynamic range alone; the noise
    only warns (:func:`image_warnings`), so it does not lower the grade."""
    return grade_image_dynamic_range(dynamic_range)


def grade_dynamic_range_array(dynamic_range: np.ndarray) -> np.ndarray:
    """:func:`grade_image_dynamic_range` over an array (NaN -> ``unknown``)."""
    dr = np.asarray(dynamic_range, dtype=float)
    return np.select([np.isnan(dr), dr > DR_EXCELLENT, dr > DR_GOOD, dr > DR_MARGINAL],
                     [UNKNOWN_GRADE, "excellent", "good", "marginal"], "poor").astype(object)


def image_warnings(noise_jy: float | None, dynamic_range: float | None) -> list[str]:
    """The pipeline's image warnings; a NULL value warns of nothing (it is unknown)."""
    warnings = []
    if not _missing(noise_jy) and noise_jy > NOISE_WARNING_JY:
        warnings.append(f"noise {noise_jy * 1e3:.1f} mJy/beam is above 10 mJy/beam")
    if not _missing(dynamic_range) and dynamic_range < DR_WARNING:
        warnings.append(f"dynamic range {dynamic_range:.0f} is below 100")
    return warnings


def grade_calibration_flagged(fraction: float | None) -> str:
    """A calibration's grade from its mean flagged fraction; ``unknown`` without one."""
    if _missing(fraction):
        return UNKNOWN_GRADE
    for bound, grade in FLAGGED_GRADES:
        if fraction < bound:
            return grade
    return "poor"


def coarse_stage_grade(stage: str | None) -> str:
    """The old API's grade from how far the MS got (kind ``stage-derived``); NOT measured
    quality: show the measured QA wherever it exists."""
    if stage in GOOD_STAGES:
        return "good"
    if stage in WARN_STAGES:
        return "warn"
    return "fail"


def is_failed_qa(grade: str | None) -> bool:
    """The one test of "this image grade failed QA" (case-insensitive; NULL is not)."""
    return isinstance(grade, str) and grade.strip().lower() in FAILED_QA_GRADES


def is_failed_qa_flag(quality_flag: str | None) -> bool:
    """The photometry row's quality flag says its image failed QA."""
    return isinstance(quality_flag, str) and quality_flag.strip().lower() in FAILED_QA_FLAGS


def failed_qa_mask(grades: Iterable, quality_flags: Iterable | None = None) -> np.ndarray:
    """Per epoch: failed QA by its image's grade or its photometry quality flag."""
    mask = _per_distinct(grades, is_failed_qa)
    if quality_flags is not None:
        mask |= _per_distinct(quality_flags, is_failed_qa_flag)
    return mask


def _per_distinct(values: Iterable, test) -> np.ndarray:  # noqa: ANN001 - a predicate
    """``test`` of each value, evaluated once per distinct value: a lightcurve of
    thousands of epochs holds a handful of grades and flags."""
    values = values if isinstance(values, (list, tuple)) else list(values)
    try:
        known = {value: test(value) for value in set(values)}
    except TypeError:  # an unhashable value: test each
        return np.fromiter((test(v) for v in values), dtype=bool, count=len(values))
    return np.fromiter((known[v] for v in values), dtype=bool, count=len(values))
