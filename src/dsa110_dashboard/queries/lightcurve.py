"""Lightcurve rules that the source page and the lightcurve API both apply: which epochs
count as failed QA, and the export's file name."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Latest image QA grades (``qa_grade``) and photometry flags that mark an epoch failed.
FAILED_GRADES = frozenset({"poor", "fail", "failed", "bad"})
FAILED_FLAGS = frozenset({"image_qa_poor", "qa_failed", "image_qa_failed"})
_SAFE_NAME = re.compile(r"[^A-Za-z0-9.+\-]+")


def qa_failed(frame: pd.DataFrame) -> np.ndarray:
    """Per lightcurve row: its image's grade or its quality flag says QA failed."""
    grade = frame["qa_grade"].astype(object).map(
        lambda g: isinstance(g, str) and g.lower() in FAILED_GRADES)
    flag = frame["quality_flag"].astype(object).map(
        lambda f: isinstance(f, str) and f.lower() in FAILED_FLAGS)
    return (grade | flag).to_numpy(bool)


def export_filename(source_id: str, ext: str) -> str:
    """``NVSS_J123456.7+420312_lightcurve.csv``: the source id with only safe characters."""
    stem = _SAFE_NAME.sub("_", source_id).strip("_") or "source"
    return f"{stem}_lightcurve.{ext}"
