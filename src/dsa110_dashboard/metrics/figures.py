"""What ``/metrics`` reports about the pipeline, read from the database cheaply.

Counts come from the overview's cached counts (``StatsRepository``: exact for small
tables, estimates at scale, never a full scan of photometry); the image rate and the
newest image are index range reads on ``images.created_at``; jobs by status from the
same cached counts; the queue from the queue summary (pending and running rows only).
A scrape reuses the figures of the last ``cache_seconds``, so several Prometheus
servers scraping every few seconds cost one read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..db.engine import Database
from ..repositories.queue_status import QueueStatusRepository
from ..repositories.stats import Count, StatsRepository


@dataclass(frozen=True)
class PipelineFigures:
    counts: dict[str, Count]                 # images, sources, photometry, measurement_sets
    images_last_hour: int
    images_last_day: int
    newest_image_at: float | None
    jobs_by_status: dict[str, int]
    queue: dict[str, dict[str, int]]         # {type: {"pending": n, "running": n}}
    oldest_pending_at: dict[str, float]      # {type: created_at}
    read_at: float
    read_seconds: float
    error: str | None = None
    extra: dict = field(default_factory=dict)


class FigureReader:
    """Reads and caches ``PipelineFigures`` of one database (thread-safe: one read at a
    time, the other scrapes wait for it)."""

    def __init__(self, db: Database, count_cache_seconds: float, cache_seconds: float,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.stats = StatsRepository(db, count_cache_seconds)
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._last: PipelineFigures | None = None

    def figures(self) -> PipelineFigures:
        with self._lock:
            last = self._last
            if last is not None and self.clock() - last.read_at < self.cache_seconds:
                return last
            self._last = self._read()
            return self._last

    def _read(self) -> PipelineFigures:
        now = self.clock()
        start = time.perf_counter()
        counts = self.stats.overview_counts()
        last_hour, last_day, newest = self._image_rate(now)
        queue = QueueStatusRepository(self.db).summary(now)
        return PipelineFigures(
            counts={"images": counts.images.total, "sources": counts.sources,
                    "photometry": counts.photometry,
                    "measurement_sets": counts.measurement_sets.total},
            images_last_hour=last_hour, images_last_day=last_day, newest_image_at=newest,
            jobs_by_status={str(k): int(v) for k, v in counts.jobs.by.items()
                            if k is not None},
            queue=queue.by_type, oldest_pending_at=queue.oldest_pending_by_type,
            read_at=now, read_seconds=time.perf_counter() - start)

    def _image_rate(self, now: float) -> tuple[int, int, float | None]:
        images = self.db.catalog["images"]
        if not images.exists:
            return 0, 0, None
        created = images["created_at"]
        with self.db.connect() as conn:
            # Two index range reads (idx_images_created_at) and one index probe.
            hour = conn.execute(sa.select(sa.func.count()).select_from(images.table)
                                .where(created > now - 3600, created <= now)).scalar()
            day = conn.execute(sa.select(sa.func.count()).select_from(images.table)
                               .where(created > now - 86400, created <= now)).scalar()
            newest = conn.execute(sa.select(sa.func.max(created))).scalar()
        return int(hour or 0), int(day or 0), None if newest is None else float(newest)
