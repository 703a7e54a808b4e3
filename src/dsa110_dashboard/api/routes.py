"""URL patterns of the HTTP endpoints, bound to one AppContext."""

from __future__ import annotations

from ..context import AppContext
from .health import HealthHandler


def api_patterns(ctx: AppContext) -> list[tuple]:
    return [
        (r"/api/v1/health/?", HealthHandler, {"ctx": ctx}),
    ]
