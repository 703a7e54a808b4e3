"""Image QA measured from the pixels: the per-image work of the ``qa`` batch.

This is the seam the QA issue (#15) replaces with the measured QA computation: a simple
robust measurement for now. Noise is the robust rms (1.4826 x the median absolute
deviation) of the finite pixels, sampled on a grid for big images; peak is the largest
finite pixel; dynamic range is peak / rms; the grade is the dynamic-range grade of
science.md. The beam comes from the header (BMAJ/BMIN/BPA) when it has one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..fits.plane import ImagePlane
from ..fits.reader import open_image
from ..repositories.qa import grade_image_dynamic_range

#: Pixels sampled for the rms: a grid over the image, enough for a stable median.
SAMPLE_PIXELS = 1_000_000


def measure_image_qa(path: str) -> dict[str, Any]:
    """The image_qa values of one image file (raises ImageReadError when unreadable)."""
    return measure_plane_qa(open_image(path))


def measure_plane_qa(plane: ImagePlane) -> dict[str, Any]:
    """The image_qa values of an open image plane."""
    ny, nx = plane.shape
    step = max(1, int(math.sqrt(ny * nx / SAMPLE_PIXELS)))
    sample = plane.region(slice(None, None, step), slice(None, None, step))
    finite = sample[np.isfinite(sample)]
    rms = peak = dr = None
    if finite.size and np.any(finite):
        median = float(np.median(finite))
        rms = 1.4826 * float(np.median(np.abs(finite - median)))
        peak = float(np.nanmax(plane.data))
        dr = peak / rms if rms > 0 else None
    header = plane.header

    def arcsec(key: str) -> float | None:
        value = header.get(key)
        return float(value) * 3600.0 if isinstance(value, (int, float)) else None

    pa = header.get("BPA")
    return {"rms_noise": rms if rms and rms > 0 else None, "peak_flux": peak,
            "dynamic_range": dr, "beam_major": arcsec("BMAJ"), "beam_minor": arcsec("BMIN"),
            "beam_pa": float(pa) if isinstance(pa, (int, float)) else None,
            "overall_quality": grade_image_dynamic_range(dr)}
