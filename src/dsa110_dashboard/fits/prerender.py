"""Fill the thumbnail cache for many images in parallel (``dsa110-dash thumbnails``).

What is already cached is skipped before any work is submitted, so a run that
was interrupted (Ctrl-C, killed job) is resumed by running it again: the cache's
atomic writes mean an interruption leaves no partial PNG behind.

Workers are started with ``spawn``: forking a process that may hold threads
(a web server, dask) can deadlock, and the one-off start-up cost (~1 s per
worker to import astropy) is small next to rendering a batch of images.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from dsa110_dashboard.fits.cache import ThumbnailCache
from dsa110_dashboard.fits.render import render_params

# progress(done, total, path, outcome) with outcome "rendered", "cached" or "failed"
ProgressCallback = Callable[[int, int, str, str], None]


@dataclass
class PrerenderSummary:
    rendered: int = 0
    skipped_cached: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def prerender(paths: Iterable[str | os.PathLike[str]], cache: ThumbnailCache, *,
              workers: int = 2, progress: ProgressCallback | None = None,
              **params) -> PrerenderSummary:
    """Render every path's thumbnail into ``cache`` with ``params`` (see ``render_png``).

    ``workers`` <= 1 renders in this process. Bad parameters raise
    ``InvalidInputError`` before anything starts; bad files are listed in
    ``failed`` with the reason, never raised.
    """
    render_params(**params)  # fail fast on a bad parameter
    paths = [str(p) for p in paths]
    total = len(paths)
    summary = PrerenderSummary()
    done = 0

    def record(path: str, outcome: str, reason: str | None = None) -> None:
        nonlocal done
        done += 1
        if outcome == "rendered":
            summary.rendered += 1
        elif outcome == "cached":
            summary.skipped_cached += 1
        else:
            summary.failed.append((path, reason or "unknown"))
        if progress is not None:
            progress(done, total, path, outcome)

    todo = []
    for path in paths:
        if cache.contains(path, **params):
            record(path, "cached")
        else:
            todo.append(path)

    if workers <= 1 or len(todo) <= 1:
        for path in todo:
            record(*_render_one(str(cache.root), cache.max_bytes, path, params))
        return summary

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
        pending = {pool.submit(_render_one, str(cache.root), cache.max_bytes, path, params)
                   for path in todo}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    record(*future.result())
        finally:  # on Ctrl-C or a crashed worker: drop the queued work, keep what is done
            for future in pending:
                future.cancel()
    return summary


def _render_one(root: str, max_bytes: int, path: str, params: dict) -> tuple[str, str, str | None]:
    """Worker body: (path, outcome, reason). Module-level so ``spawn`` can pickle it."""
    result = ThumbnailCache(Path(root), max_bytes).get_or_render(path, **params)
    if not result.ok:
        return path, "failed", result.reason
    return path, ("cached" if result.from_cache else "rendered"), None


#: The per-image work, for batch runners that bring their own executor.
render_one = _render_one
