"""``GET /api/v1/stats``: the Overview's counts (measurement sets per stage, images per
type, sources, photometry rows, jobs per status), each exact or estimated as the
Overview counts them (decision 0011), with ``_meta.generated_at``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from ..repositories.stats import Count, GroupedCount, StatsRepository
from .base import ApiHandler
from .spec import Loose, Op


class CountModel(BaseModel):
    value: int | None = Field(description="rows; null when unknown")
    exact: bool
    method: str
    by: dict[str, int] | None = Field(None, description="rows per value of the grouping "
                                      "column (estimates when the total is)")


class StatsMeta(BaseModel):
    generated_at: str = Field(description="when the counts were made, ISO 8601 UTC")
    computed_at: float = Field(description="the same, Unix seconds")
    duration_ms: float
    cache_seconds: float
    all_exact: bool


class Stats(Loose):
    measurement_sets: CountModel
    images: CountModel
    sources: CountModel
    photometry: CountModel
    jobs: CountModel
    meta: StatsMeta = Field(alias="_meta")


def _count(count: Count | GroupedCount) -> dict[str, Any]:
    if isinstance(count, GroupedCount):
        return {**dataclasses.asdict(count.total),
                "by": {("null" if k is None else str(k)): int(v) for k, v in count.by.items()}}
    return {**dataclasses.asdict(count), "by": None}


class StatsHandler(ApiHandler):
    operations = {"get": Op("Overview counts", response=Stats, tag="stats")}

    async def get(self) -> None:
        seconds = self.ctx.settings.count_cache_seconds
        counts = await self.blocking(StatsRepository(self.ctx.db, seconds).overview_counts)
        generated = dt.datetime.fromtimestamp(counts.computed_at, dt.UTC)
        self.write_json({
            "measurement_sets": _count(counts.measurement_sets),
            "images": _count(counts.images),
            "sources": _count(counts.sources),
            "photometry": _count(counts.photometry),
            "jobs": _count(counts.jobs),
            "_meta": {"generated_at": generated.isoformat(timespec="seconds")
                      .replace("+00:00", "Z"),
                      "computed_at": counts.computed_at,
                      "duration_ms": counts.duration_ms, "cache_seconds": seconds,
                      "all_exact": counts.all_exact}})
