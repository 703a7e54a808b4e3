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


#: How much of a typed or linked value a message repeats (a pasted page is not).
SHOWN_CHARS = 40


def clipped(text: str, quote: bool = False) -> str:
    """``text`` for a message (``quote``: as a Python-style quoted string), cut after
    ``SHOWN_CHARS`` characters with its length said."""
    long = len(text) > SHOWN_CHARS
    head = text[:SHOWN_CHARS] + "…" if long else text
    head = repr(head) if quote else head
    return f"{head} ({len(text):,} characters)" if long else head
