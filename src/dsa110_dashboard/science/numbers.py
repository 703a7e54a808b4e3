"""Numbers in one place: what counts as a usable number, how one is shown and how typed
text becomes one (decision 0042).

A number that is missing, NaN or infinite is not shown as "nan" or "inf": every page
shows ``MISSING`` ("—") for it. Text that is not a number is refused with one wording,
``<name>: '<text>' is not a number`` (or ``... is not a finite number`` for "nan" and
"inf"), whichever page, endpoint or command it came through.
"""

from __future__ import annotations

import math

from ..errors import InvalidInputError, clipped

MISSING = "—"


def finite_or_none(value) -> float | None:
    """A float, or None for NULL, NaN, infinity and anything that is not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def format_number(value, spec: str = ".4g", *, scale: float = 1.0, unit: str = "",
                  missing: str = MISSING) -> str:
    """``value * scale`` in ``spec`` (and `` unit``); ``missing`` for None, NaN,
    infinity and anything that is not a number."""
    number = finite_or_none(value)
    if number is None:
        return missing
    text = format(number * scale, spec)
    return f"{text} {unit}" if unit else text


def number_problem(value) -> str | None:
    """Why ``value`` (text or a number) is not a usable number, as the end of a sentence
    ("not a number", "not a finite number"); None when it is one."""
    if isinstance(value, bool):
        return "not a number"
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return "not a number"
    return None if math.isfinite(number) else "not a finite number"


def parse_number(value, name: str, *, required: bool = False) -> float | None:
    """A finite float from ``value`` (typed text or a number); None when it is blank
    (an error when ``required``). InvalidInputError naming ``name`` when it is not a
    finite number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInputError(f"{name}: a number is required", parameter=name)
        return None
    problem = number_problem(value)
    if problem is not None:
        shown = clipped(value if isinstance(value, str) else str(value), quote=True)
        raise InvalidInputError(f"{name}: {shown} is {problem}", parameter=name)
    return float(value.strip() if isinstance(value, str) else value)

