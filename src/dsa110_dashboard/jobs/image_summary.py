"""Fill our per-image summary (``dsa110-dash image-summary``, decision 0033).

Two steps: the latest QA grade of every image is brought up to date in SQL (fast,
incremental), then the values the pipeline's images rows lack are measured from the
files: the centre from the FITS header, noise and dynamic range from the pixels with the
QA batch's measurement (``image_qa.measure_plane_qa``). An image whose file cannot be read
gets its reason recorded and is not retried until ``redo``.

The per-image function is module-level so the ``spawn`` process pool can run it.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ..db import features
from ..db.engine import Database
from ..errors import (
    DashboardError,
    ForbiddenPathError,
    ImageReadError,
    InvalidInputError,
    NotFoundError,
    ReadOnlyError,
)
from ..files import DataRoots
from ..repositories.image_summary import (
    ENGINE,
    FEATURE,
    REVISION,
    ImageSummaryRepository,
    ToMeasure,
)
from ..settings import Settings

ProgressFn = Callable[[int, int, str], None]
#: Results written per transaction: short transactions keep the pipeline's writer going.
WRITE_EVERY = 200


@dataclass
class SummaryRun:
    graded: int = 0
    measured: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def measure_image_summary(path: str, *, pixels: bool = True) -> dict[str, Any]:
    """ra_deg/dec_deg from the header and, with ``pixels``, noise_jy/dynamic_range from
    the pixels, of one image file (raises ImageReadError when it cannot be read)."""
    from ..fits.header import summarize
    from ..fits.reader import open_image
    from .image_qa import measure_plane_qa

    plane = open_image(path)
    header = summarize(plane.header)
    values: dict[str, Any] = {"ra_deg": header.ra_deg, "dec_deg": header.dec_deg}
    if pixels:
        qa = measure_plane_qa(plane)
        values.update(noise_jy=qa["rms_noise"], dynamic_range=qa["dynamic_range"])
    return values


def summary_row(image_id: int, values: dict[str, Any], how: str,
                error: str | None = None) -> dict[str, Any]:
    """A dash_image_summary row of measured ``values`` (None ones left as they are)."""
    row = {k: v for k, v in values.items() if v is not None}
    return {"image_id": int(image_id), **row, "error": error, "computed_at": time.time(),
            "engine": f"{ENGINE} {how}"}


def _measure(item: ToMeasure, path: str) -> tuple[int, dict[str, Any] | None, str | None]:
    try:
        values = measure_image_summary(path, pixels=item.needs_pixels)
    except DashboardError as exc:  # unreadable, truncated, unsupported layout
        return item.image_id, None, exc.user_message
    missing = [k for k in item.columns if values.get(k) is None]
    # Recorded, so the next run does not read the file again for nothing.
    error = f"not measurable from the file: {', '.join(missing)}" if missing else None
    return item.image_id, {k: values.get(k) for k in item.columns}, error


def fill_image_summary(db: Database, settings: Settings, *, workers: int = 2,
                       redo: bool = False, progress: ProgressFn | None = None) -> SummaryRun:
    """Refresh the grades, then measure what the images rows lack; returns what was done.

    Raises ReadOnlyError on a read-only database and FeatureUnavailableError (naming
    ``dsa110-dash db upgrade``) without revision 0007.
    """
    if not isinstance(workers, int) or workers < 1:
        raise InvalidInputError("workers must be a whole number >= 1", parameter="workers")
    if db.read_only:
        raise ReadOnlyError(
            f"{db.target.display()} is open read-only; the image summary is written to "
            "the dashboard's dash_image_summary. Set DSA110_DASH_READ_ONLY=false (or "
            "--read-only false) to let it write.")
    features.require(db, REVISION, FEATURE)
    started = time.perf_counter()
    report = progress or (lambda done, total, what: None)
    db.refresh_catalog()
    repo = ImageSummaryRepository(db)
    run = SummaryRun()
    report(0, 0, "QA grades")
    run.graded, _ = repo.refresh_grades(full=redo)
    todo = repo.to_measure(redo=redo)
    roots = DataRoots.for_server(settings, db.target)
    pending: list[dict[str, Any]] = []
    done = 0

    def record(image_id: int, values: dict[str, Any] | None, error: str | None,
               path: str) -> None:
        nonlocal done
        done += 1
        if values is None:
            run.failed.append((path, error or "unknown"))
            pending.append({"image_id": image_id, "error": error,
                            "computed_at": time.time(), "engine": ENGINE})
        else:
            run.measured += 1
            if error:
                run.failed.append((path, error))
            pending.append(summary_row(image_id, values, "header+pixels", error))
        if len(pending) >= WRITE_EVERY:
            repo.write(pending)
            pending.clear()
        report(done, len(todo), "images")

    jobs: list[tuple[ToMeasure, str]] = []
    for item in todo:
        try:
            jobs.append((item, str(roots.confine(item.path))))
        except (ForbiddenPathError, ImageReadError, NotFoundError) as exc:
            record(item.image_id, None, exc.user_message, item.path)
    report(done, len(todo), "images")
    try:
        if workers <= 1 or len(jobs) <= 1:
            for item, path in jobs:
                record(*_measure(item, path), path)
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)),
                                     mp_context=context) as pool:
                futures = {pool.submit(_measure, item, path): path for item, path in jobs}
                waiting = set(futures)
                try:
                    while waiting:
                        finished, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                        for future in finished:
                            record(*future.result(), futures[future])
                finally:  # on Ctrl-C: drop the queued work, keep what is done
                    for future in waiting:
                        future.cancel()
    finally:
        repo.write(pending)
    run.seconds = time.perf_counter() - started
    return run
