"""The health report of ``GET /api/v1/health``: the database (critical), the pipeline's
freshness and the thumbnail cache (warnings), as one JSON-ready body and its status.

- ``status``: ``ok``; ``degraded`` when a warning is on (stale pipeline, unusable cache),
  answered 200; ``unavailable`` when the database cannot be reached, answered 503 so that
  a monitor reading only the HTTP status sees it. The details are in the body either way.
- ``database``: target, dialect, read_only, ok, latency_ms or error (fields kept stable).
- ``pipeline.freshness``: the Overview's freshness light (``lights.freshness_light``).
- ``cache``: ok, and the reason when it cannot be written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from ..repositories.stats import Freshness
from .lights import FRESHNESS_RULE, OK, UNKNOWN, freshness_light

OK_STATUS, DEGRADED, UNAVAILABLE = "ok", "degraded", "unavailable"


@dataclass(frozen=True)
class DatabaseCheck:
    target: str
    dialect: str
    read_only: bool
    latency_s: float | None = None  # None: unreachable
    error: str | None = None


def freshness_report(freshness: Freshness | None, now: float) -> dict:
    latest = freshness.latest_image_created_at if freshness else None
    age = None if latest is None else now - latest
    return {
        "state": freshness_light(age) if freshness else UNKNOWN,
        "latest_image_at": latest,
        "latest_image_utc": None if latest is None else
        dt.datetime.fromtimestamp(latest, dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds_since_latest_image": None if age is None else round(age, 1),
        "rule": FRESHNESS_RULE,
    }


def health_report(database: DatabaseCheck, freshness: Freshness | None,
                  cache_problem: str | None, now: float,
                  shown: Callable[[str], str] = str) -> tuple[int, dict]:
    """(HTTP status, body); ``shown`` turns messages into what the reader may see."""
    db: dict[str, object] = {"target": database.target, "dialect": database.dialect,
                             "read_only": database.read_only}
    if database.latency_s is None:
        db.update(ok=False, error=shown(database.error or "unreachable"))
    else:
        db.update(ok=True, latency_ms=round(database.latency_s * 1000, 2))
    fresh = freshness_report(freshness, now)
    cache: dict[str, object] = {"ok": cache_problem is None}
    if cache_problem is not None:
        cache.update(state=DEGRADED, reason=shown(cache_problem))
    if not db["ok"]:
        status, code = UNAVAILABLE, 503
    elif fresh["state"] not in (OK, UNKNOWN) or cache_problem is not None:
        status, code = DEGRADED, 200
    else:
        status, code = OK_STATUS, 200
    return code, {"status": status, "checked_at": now, "database": db,
                  "pipeline": {"freshness": fresh}, "cache": cache}
