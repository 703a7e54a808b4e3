"""Lightcurve rules that the source page and the lightcurve API both apply: which epochs
count as failed QA, and the export's file name."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..science.qa import failed_qa_mask

_SAFE_NAME = re.compile(r"[^A-Za-z0-9.+\-]+")


def qa_failed(frame: pd.DataFrame) -> np.ndarray:
    """Per lightcurve row: its image's grade or its quality flag says QA failed (the
    one definition, ``science.qa.failed_qa_mask``)."""
    return failed_qa_mask(frame["qa_grade"].astype(object),
                          frame["quality_flag"].astype(object))


def export_filename(source_id: str, ext: str) -> str:
    """``NVSS_J123456.7+420312_lightcurve.csv``: the source id with only safe characters."""
    stem = _SAFE_NAME.sub("_", source_id).strip("_") or "source"
    return f"{stem}_lightcurve.{ext}"
