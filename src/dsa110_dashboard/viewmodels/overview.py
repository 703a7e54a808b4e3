"""State of the Overview page: "is the pipeline healthy and keeping up?"

One ``OverviewModel`` per session holds everything the overview cards show. ``fetch()``
is blocking (run it in a worker thread) and reads only fast figures: the overview
counts from ``StatsRepository`` (estimates tagged as such, TTL-cached per process), the
images of one 24-hour window, the latest image, freshness, and the newest image centres.
``apply(snapshot)`` runs on the event loop and updates the parameters in one go.
``check()`` is the cheap periodic probe: the latest image's id, so a new image triggers
a full refresh.

The 24-hour window ends now when an image was made in the last 24 hours; otherwise (an
old or stalled database) it ends at the latest image, so the operator sees the last day
of work instead of an empty plot, and ``window_is_live`` says which one it is.

Thresholds the page states:
- freshness (time since the latest image): green < 15 min, amber < 1 h, else red;
- failed jobs in the window: green < 5 %, amber < 20 %, else red;
- poor images in the window (measured QA, else derived from dynamic range): green < 5 %,
  amber < 20 %, else red.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DatabaseUnavailableError
from ..repositories.flags import ImageFlags
from ..repositories.images import ImageRecord, ImageRepository
from ..repositories.jobs import JobRepository
from ..repositories.qa import DERIVED_FROM_DR, GRADES, MEASURED, QARepository
from ..repositories.qa import grade_image_dynamic_range
from ..repositories.stats import Freshness, OverviewCounts, StatsRepository
# mjd_to_datetime: the overview views take it from here with the other helpers.
from ..science.qa import is_failed_qa
from ..science.times import format_unix, mjd_to_datetime  # noqa: F401
from ..status.lights import BAD, FRESHNESS_RULE, OK, UNKNOWN, WARN
from ..status.lights import FRESH_AMBER_S, FRESH_GREEN_S  # noqa: F401 - the page states them
from ..status.lights import fraction_light, freshness_light, worst

WINDOW_HOURS = 24
#: Newest image centres on the sky map (~15 days of 5-minute images).
SKY_POINTS = 5000

FAILED_JOBS_GREEN, FAILED_JOBS_AMBER = 0.05, 0.20
POOR_IMAGES_GREEN, POOR_IMAGES_AMBER = 0.05, 0.20

#: Pipeline order of ms_index stages (others are shown after these, as stored).
STAGE_ORDER = ("discovered", "ingested", "converted", "calibrated", "imaged",
               "photometry_complete", "mosaicked", "cataloged")
JOB_STATUS_ORDER = ("pending", "running", "completed", "failed")


# ------------------------------------------------------------ pure helpers
def utc_text(unix: float | None, seconds: bool = False) -> str:
    text = format_unix(unix, seconds=seconds)
    return "—" if text is None else text + " UTC"


def human_age(seconds: float | None) -> str:
    """'just now', '3 min ago', '2 h 5 min ago', '4 days ago', '5 months ago'."""
    if seconds is None or math.isnan(seconds):
        return "never"
    if seconds < 0:
        return "in the future (clock skew?)"
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        rest = minutes % 60
        return f"{hours} h {rest} min ago" if rest and hours < 10 else f"{hours} h ago"
    days = hours // 24
    if days < 60:
        return f"{days} days ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def human_duration(seconds: float | None) -> str:
    """'45 s', '12.5 min', '3.2 h'."""
    if seconds is None or math.isnan(seconds):
        return "—"
    if abs(seconds) < 120:
        return f"{seconds:.0f} s"
    if abs(seconds) < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def choose_window(now: float, latest_created: float | None,
                  hours: int = WINDOW_HOURS) -> tuple[float, bool]:
    """(window end, live): now when an image was made in the last ``hours``, else the
    latest image's time (an old database), else now (no images at all)."""
    if latest_created is None or now - latest_created <= hours * 3600:
        return now, True
    return latest_created, False


def ordered(by: dict, order: tuple[str, ...]) -> list[tuple[str, int]]:
    """Known keys in pipeline order, then the others as stored (NULL as '(none)')."""
    known = [(k, by[k]) for k in order if k in by]
    others = sorted(((("(none)" if k is None else str(k)), v) for k, v in by.items()
                     if k not in order), key=lambda kv: (-kv[1], kv[0]))
    return known + others


@dataclass(frozen=True)
class Light:
    name: str
    state: str          # ok / warn / bad / unknown
    detail: str         # what was measured
    rule: str           # the thresholds


@dataclass(frozen=True)
class LatestImageCheck:
    image_id: int | None


@dataclass(frozen=True)
class OverviewSnapshot:
    """Everything one fetch read; ``now`` is when it was read (Unix seconds)."""

    now: float
    latest: ImageRecord | None
    counts: OverviewCounts
    freshness: Freshness
    window_end: float
    window_is_live: bool
    per_hour: pd.DataFrame
    grades: dict[str, dict[str, int]]
    jobs_in_window: int
    failed_jobs_in_window: int
    centres: pd.DataFrame
    duration_ms: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: The latest image's current people's flag (verdict, note, user, created_at), or None.
    latest_flag: dict | None = None


# ------------------------------------------------------------------ model
class OverviewModel(param.Parameterized):
    snapshot = param.ClassSelector(class_=OverviewSnapshot, default=None, allow_None=True,
                                   doc="The last good read of the database.")
    now = param.Number(default=None, allow_None=True,
                       doc="Unix time the ages are computed at (advanced by check()).")
    error = param.String(default=None, allow_None=True,
                         doc="Why the database could not be read (the data shown is older).")
    refreshing = param.Boolean(default=False, doc="A fetch is running.")
    loaded_at = param.Number(default=None, allow_None=True, doc="Unix time of the snapshot.")

    def __init__(self, db: Database, *, stats: StatsRepository | None = None,
                 images: ImageRepository | None = None, qa: QARepository | None = None,
                 jobs: JobRepository | None = None, clock: Callable[[], float] = time.time,
                 count_cache_seconds: float = 30.0, sky_points: int = SKY_POINTS,
                 **params):
        super().__init__(**params)
        self.db = db
        self.stats = stats or StatsRepository(db, count_cache_seconds)
        self.images = images or ImageRepository(db)
        self.qa = qa or QARepository(db)
        self.jobs = jobs or JobRepository(db)
        self.clock = clock
        self.sky_points = sky_points

    # ----------------------------------------------------------- blocking reads
    def fetch(self) -> OverviewSnapshot | DatabaseUnavailableError:
        """Blocking: run it in a worker thread. The snapshot, or why it failed."""
        timings: dict[str, float] = {}

        def timed(name, fn):
            start = time.perf_counter()
            value = fn()
            timings[name] = (time.perf_counter() - start) * 1000.0
            return value

        start = time.perf_counter()
        try:
            now = self.clock()
            latest = timed("latest", self.images.latest)
            latest_flag = (timed("latest_flag", lambda: ImageFlags(self.db).current(
                [latest.id]).get(latest.id)) if latest is not None else None)
            counts = timed("counts", self.stats.overview_counts)
            freshness = timed("freshness", lambda: self.stats.freshness(now))
            end, live = choose_window(now, freshness.latest_image_created_at)
            since = end - WINDOW_HOURS * 3600
            per_hour = timed("per_hour", lambda: self.stats.images_per_hour(WINDOW_HOURS, end))
            grades = timed("grades", lambda: self.qa.grade_counts(since))
            jobs_total, jobs_failed = timed(
                "jobs", lambda: self.jobs.counts_created_between(since, end))
            centres = timed("centres", lambda: self.images.centres(None, self.sky_points))
        except DatabaseUnavailableError as exc:
            return exc
        return OverviewSnapshot(
            now=now, latest=latest, counts=counts, freshness=freshness, window_end=end,
            window_is_live=live, per_hour=per_hour, grades=grades,
            jobs_in_window=int(jobs_total), failed_jobs_in_window=int(jobs_failed),
            centres=centres, duration_ms=(time.perf_counter() - start) * 1000.0,
            timings_ms=timings, latest_flag=latest_flag)

    def check(self) -> LatestImageCheck | DatabaseUnavailableError:
        """Blocking and cheap: the latest image's id (one indexed query)."""
        try:
            latest = self.images.latest()
        except DatabaseUnavailableError as exc:
            return exc
        return LatestImageCheck(None if latest is None else latest.id)

    # ------------------------------------------------------------ on the loop
    def apply(self, result: OverviewSnapshot | DatabaseUnavailableError) -> None:
        if isinstance(result, DatabaseUnavailableError):
            # Keep the last good figures on screen; the health card says why they are old.
            self.param.update(error=result.user_message, now=self.clock())
        else:
            self.param.update(snapshot=result, error=None, now=result.now,
                              loaded_at=result.now)

    def needs_refresh(self, result: LatestImageCheck | DatabaseUnavailableError,
                      max_age_s: float) -> bool:
        """Whether the cheap check calls for a full fetch: a new latest image, a
        database that came back or went away, or a snapshot older than ``max_age_s``."""
        now = self.clock()
        if isinstance(result, DatabaseUnavailableError):
            self.param.update(error=result.user_message, now=now)
            return False
        self.now = now
        if self.snapshot is None or self.error is not None:
            return True
        current = self.snapshot.latest.id if self.snapshot.latest else None
        return result.image_id != current or now - (self.loaded_at or 0) >= max_age_s

    def refresh(self) -> None:
        """Fetch and apply in this thread (for notebooks and tests)."""
        self.refreshing = True
        try:
            self.apply(self.fetch())
        finally:
            self.refreshing = False

    # ------------------------------------------------------------- derived
    @property
    def seconds_since_latest(self) -> float | None:
        s = self.snapshot
        return None if s is None else s.freshness.age_at(self.now or s.now)

    def window_text(self) -> str:
        """The window in words, for titles."""
        s = self.snapshot
        if s is None:
            return "last 24 h"
        if s.window_is_live:
            return "last 24 h"
        return (f"the 24 h before the latest image ({utc_text(s.window_end)}); "
                "no images in the real last 24 h")

    def latest_grade(self) -> tuple[str, str]:
        """(grade, kind) of the latest image: its measured QA when it has one, else the
        grade derived from its dynamic range."""
        image = self.snapshot.latest if self.snapshot else None
        if image is None:
            return "unknown", DERIVED_FROM_DR
        if image.qa_grade is not None:
            return image.qa_grade, MEASURED
        return grade_image_dynamic_range(image.dynamic_range), DERIVED_FROM_DR

    def grade_table(self) -> list[tuple[str, dict[str, int], int]]:
        """[(kind, {grade: n} in GRADES order then others, total)], kinds with images."""
        out = []
        grades = self.snapshot.grades if self.snapshot else {}
        for kind in (MEASURED, DERIVED_FROM_DR):
            by = grades.get(kind) or {}
            if not by:
                continue
            row = {g: by.get(g, 0) for g in GRADES}
            row.update({g: n for g, n in by.items() if g not in row})
            out.append((kind, row, sum(by.values())))
        return out

    def health(self) -> tuple[str, list[Light]]:
        """The overall light and its parts."""
        lights: list[Light] = []
        if self.error:
            lights.append(Light("Database", BAD, self.error, "reachable"))
        elif self.snapshot is None:
            lights.append(Light("Database", UNKNOWN, "not read yet", "reachable"))
        else:
            lights.append(Light("Database", OK, "reachable", "reachable"))
        s = self.snapshot
        age = self.seconds_since_latest
        lights.append(Light(
            "Freshness", freshness_light(age),
            "no images yet" if age is None else f"last image {human_age(age)}",
            FRESHNESS_RULE))
        where = "last 24 h" if s is None or s.window_is_live else "24 h before latest image"
        graded = sum(sum(by.values()) for by in (s.grades.values() if s else []))
        # Failed QA by the one definition (science/qa.py), whatever word the grade uses.
        poor = sum(n for by in s.grades.values() for g, n in by.items()
                   if is_failed_qa(g)) if graded else 0
        for name, bad, total, green, amber, empty in (
                ("Failed jobs", s.failed_jobs_in_window if s else 0,
                 s.jobs_in_window if s else 0, FAILED_JOBS_GREEN, FAILED_JOBS_AMBER, "no jobs"),
                ("Poor images", poor, graded, POOR_IMAGES_GREEN, POOR_IMAGES_AMBER,
                 "no images")):
            rule = f"green < {green:.0%}, amber < {amber:.0%}, else red".replace("%", " %")
            if total:
                fraction = bad / total
                lights.append(Light(name, fraction_light(fraction, green, amber),
                                    f"{bad} of {total} ({fraction:.0%}), {where}", rule))
            else:
                lights.append(Light(name, UNKNOWN, f"{empty}, {where}", rule))
        return worst([light.state for light in lights]), lights
