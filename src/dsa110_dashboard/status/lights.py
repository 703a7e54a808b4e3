"""The traffic lights and their thresholds: one definition for every page and endpoint.

Freshness is the time since the latest image was made: green < 15 min, amber < 1 h,
else red. The Overview's light and the health report's ``pipeline.freshness`` both come
from ``freshness_light``, so a monitor polling the API sees what the control room sees.
"""

from __future__ import annotations

OK, WARN, BAD, UNKNOWN = "ok", "warn", "bad", "unknown"
_RANK = {UNKNOWN: 0, OK: 1, WARN: 2, BAD: 3}

FRESH_GREEN_S = 15 * 60
FRESH_AMBER_S = 60 * 60
FRESHNESS_RULE = "green < 15 min, amber < 1 h, else red"


def freshness_light(seconds_since: float | None) -> str:
    if seconds_since is None:
        return UNKNOWN
    if seconds_since < FRESH_GREEN_S:
        return OK
    if seconds_since < FRESH_AMBER_S:
        return WARN
    return BAD


def fraction_light(fraction: float | None, green: float, amber: float) -> str:
    if fraction is None:
        return UNKNOWN
    if fraction < green:
        return OK
    if fraction < amber:
        return WARN
    return BAD


def worst(lights: list[str]) -> str:
    """The worst light; unknown only when nothing is known."""
    return max(lights, key=_RANK.__getitem__) if lights else UNKNOWN
