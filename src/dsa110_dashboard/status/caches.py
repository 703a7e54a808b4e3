"""The caches this process keeps, as the /health page and ``GET /api/v1/cache`` show
them, and clearing them: an operator's action, audited like rerun and cancel.

- ``thumbnails``: the PNG cache on disk (``fits.cache``): entries, bytes, the size limit,
  and this process's hit rate since start or the last clear.
- ``queries``: the overview's counts kept for ``DSA110_DASH_COUNT_CACHE_SECONDS``
  (``repositories.stats``), per database: entries and hit rate.

Clearing only drops copies: the next request renders or counts again.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from ..auth.roles import Role
from ..db.engine import Database
from ..errors import InvalidInputError
from ..fits.cache import cache_for
from ..jobs.audit import Actor, audit_writable, audited, require_role
from ..repositories.stats import shared_caches
from ..settings import Settings

log = logging.getLogger(__name__)

THUMBNAILS, QUERIES = "thumbnails", "queries"
CACHES = (THUMBNAILS, QUERIES)
ACTION = "clear-cache"


@dataclass(frozen=True)
class CacheInfo:
    name: str
    description: str
    entries: int
    bytes: int | None            # None: kept in memory, not measured
    limit_bytes: int | None
    hits: int
    misses: int
    hit_rate: float | None       # None before the first read
    location: str | None = None  # the directory, for signed-in readers
    problem: str | None = None   # why the cache cannot be written

    def as_dict(self) -> dict:
        return asdict(self)


def cache_report(settings: Settings) -> list[CacheInfo]:
    """Every cache's state now (walks the thumbnail directory: call it off the event loop)."""
    thumbs = cache_for(settings)
    stats = thumbs.stats()
    queries = shared_caches().values()
    hits = sum(c.hits for c in queries)
    misses = sum(c.misses for c in queries)
    return [
        CacheInfo(THUMBNAILS, "Rendered thumbnails on disk (least recently used go first)",
                  stats.count, stats.bytes, thumbs.max_bytes, thumbs.hits, thumbs.misses,
                  thumbs.hit_rate, str(thumbs.root), thumbs.problem),
        CacheInfo(QUERIES, "Overview counts, kept for "
                  f"{settings.count_cache_seconds:g} s", sum(len(c) for c in queries),
                  None, None, hits, misses,
                  hits / (hits + misses) if hits + misses else None),
    ]


def parse_caches(names: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The caches named (all when none); an unknown name is refused naming it."""
    if not names:
        return CACHES
    for name in names:
        if name not in CACHES:
            raise InvalidInputError(f"unknown cache {str(name)[:40]!r}; the caches are: "
                                    f"{', '.join(CACHES)}", parameter="caches")
    return tuple(dict.fromkeys(names))


def clear_caches(settings: Settings, db: Database, actor: Actor,
                 names: tuple[str, ...] = CACHES) -> dict[str, int]:
    """Clear the named caches for ``actor`` (an operator); returns entries removed per
    cache. Recorded in ``dash_audit`` (``clear-cache``) where the database can be
    written, else in the log: clearing changes nothing in the database, so a read-only
    pipeline database does not stop it."""

    def clear() -> dict[str, int]:
        removed: dict[str, int] = {}
        if THUMBNAILS in names:
            thumbs = cache_for(settings)
            removed[THUMBNAILS] = thumbs.stats().count
            thumbs.clear()
        if QUERIES in names:
            caches = shared_caches().values()
            removed[QUERIES] = sum(len(c) for c in caches)
            for cache in caches:
                cache.clear()
        return removed

    target = ",".join(names)

    def work(ok) -> dict[str, int]:  # noqa: ANN001 - audited's recorder
        require_role(actor, Role.OPERATOR, "clearing the caches")
        removed = clear()
        with db.transaction() as conn:
            ok(conn, detail={"removed": removed})
        return removed

    if audit_writable(db):
        return audited(db, actor, ACTION, "cache", target, work)
    require_role(actor, Role.OPERATOR, "clearing the caches")
    removed = clear()
    log.warning("%s by %s from %s: %s (not in the audit table: read-only database or not "
                "upgraded)", ACTION, actor.name, actor.address, removed)
    return removed
