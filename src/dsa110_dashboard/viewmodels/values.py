"""Small conversions of values read from databases and FITS headers."""

from __future__ import annotations

import math


def finite_or_none(value) -> float | None:
    """A float, or None for NULL, NaN, infinity and anything that is not a number."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
