"""State of the wall display (``/wall``): the pipeline at a glance, for a screen nobody
touches (decision 0061).

``WallModel.fetch()`` is blocking (a worker thread) and reads one ``WallSnapshot``:
the latest image and freshness, images per hour and image QA of the last
``HOURS`` hours (ending now, or at the latest image of a stalled database, like the
Overview), the newest images for the mosaic, failed jobs of the last 24 hours, the
measurement-set funnel and the health report. ``apply`` runs on the event loop.

Which panels rotate and how fast are the page's URL state (``?panels=``, ``?rotate=``);
``check_query`` names a value it cannot use.

Stale means: the newest image is older than the freshness amber threshold (15 min), or
the pipeline is behind (the newest image was made more than an hour after its
observation), or the database stopped answering (the figures on screen are old).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DatabaseUnavailableError
from ..repositories.images import ImageFilter, ImageRecord, ImageRepository
from ..repositories.jobs import JobFilter, JobRepository
from ..repositories.ms_funnel import FunnelCount, MeasurementSetFunnel
from ..repositories.paging import PageRequest
from ..repositories.qa import QARepository
from ..repositories.stats import Freshness, StatsRepository
from ..status.summary import HealthSource, HealthSummary
from ..status.lights import BAD, FRESH_AMBER_S, FRESH_GREEN_S, OK, UNKNOWN, WARN
from ..status.lights import fraction_light, freshness_light, worst
from .overview import (
    FAILED_JOBS_AMBER,
    FAILED_JOBS_GREEN,
    POOR_IMAGES_AMBER,
    POOR_IMAGES_GREEN,
    choose_window,
    human_age,
    human_duration,
)

#: The panels that rotate, in their default order.
PANELS = ("mosaic", "qa", "health", "funnel")
PANEL_TITLES = {"mosaic": "Latest images", "qa": "Image QA trends",
                "health": "Health", "funnel": "Measurement-set funnel"}
#: Hours of throughput and QA shown.
HOURS = 12
#: Failed jobs are counted over this many hours.
JOB_HOURS = 24
MOSAIC_IMAGES = 12
FAILED_LISTED = 4
#: The pipeline is behind when its newest image was made this long after the
#: observation it images.
BEHIND_S = FRESH_AMBER_S
ROTATE_BOUNDS = (1.0, 3600.0)


@dataclass(frozen=True)
class WallSnapshot:
    now: float
    latest: ImageRecord | None
    freshness: Freshness
    window_end: float
    window_is_live: bool
    per_hour: pd.DataFrame            # hour_start_unix, hour_start, images
    grades: dict[str, int]            # grade -> images (measured or derived), HOURS
    qa_series: pd.DataFrame           # timestamp, rms_noise, dynamic_range, ...
    mosaic: pd.DataFrame              # newest images: id, created_at, type, qa_grade, ...
    jobs_total: int
    jobs_failed: int
    failed: pd.DataFrame              # the newest failed jobs: id, type, ms_path, ...
    funnel: list[FunnelCount]
    health: HealthSummary


def check_query(name: str, value: object) -> None:
    """The wall's own test of a URL value (``urlstate.sync_to_url``'s ``check``)."""
    if name == "panels":
        unknown = [p for p in value if p not in PANELS]
        if unknown:
            raise ValueError(f"unknown panel {', '.join(unknown)} (choose from "
                             f"{', '.join(PANELS)})")
        if not value:
            raise ValueError("no panel named")


class WallModel(param.Parameterized):
    panels = param.List(default=list(PANELS), item_type=str,
                        doc="The rotating panels, in order (?panels=).")
    rotate = param.Number(default=None, allow_None=True, bounds=ROTATE_BOUNDS,
                          doc="Seconds per panel (?rotate=); None: the setting.")
    input_notes = param.List(default=[], doc="URL values that were ignored, and why.")
    snapshot = param.ClassSelector(class_=WallSnapshot, default=None, allow_None=True)
    error = param.String(default=None, allow_None=True,
                         doc="Why the last read failed (the figures shown are older).")
    now = param.Number(default=None, allow_None=True)

    def __init__(self, db: Database, health: HealthSource, *,
                 rotate_default: float = 20.0, stuck_hours: float = 6.0,
                 clock: Callable[[], float] = time.time, count_cache_seconds: float = 30.0,
                 **params):
        super().__init__(**params)
        self.db = db
        self.health_source = health
        self.rotate_default = rotate_default
        self.stuck_hours = stuck_hours
        self.clock = clock
        self.stats = StatsRepository(db, count_cache_seconds)
        self.images = ImageRepository(db)
        self.qa = QARepository(db)
        self.jobs = JobRepository(db)
        self.funnel = MeasurementSetFunnel(db)

    @property
    def rotate_seconds(self) -> float:
        return self.rotate if self.rotate is not None else self.rotate_default

    # ------------------------------------------------------------ blocking
    def fetch(self) -> WallSnapshot | DatabaseUnavailableError:
        now = self.clock()
        try:
            freshness = self.stats.freshness(now)
            end, live = choose_window(now, freshness.latest_image_created_at, HOURS)
            since = end - HOURS * 3600
            latest = self.images.latest()
            per_hour = self.stats.images_per_hour(HOURS, end)
            by_kind = self.qa.grade_counts(since)
            grades: dict[str, int] = {}
            for counts in by_kind.values():
                for grade, n in counts.items():
                    grades[grade] = grades.get(grade, 0) + n
            qa_series = self.qa.image_qa_series(since, end)
            mosaic = self.images.page(
                ImageFilter(), PageRequest(limit=MOSAIC_IMAGES, sort="created_at")).rows
            job_since = end - JOB_HOURS * 3600
            jobs_total, _ = self.jobs.counts_created_between(job_since)
            # The failed ones listed (their total is the page's).
            failed = self.jobs.page(JobFilter(created_after=job_since, statuses=("failed",)),
                                    PageRequest(limit=FAILED_LISTED, sort="created_at"))
            funnel = self.funnel.counts(now - self.stuck_hours * 3600)
        except DatabaseUnavailableError as exc:
            return exc
        return WallSnapshot(
            now=now, latest=latest, freshness=freshness, window_end=end,
            window_is_live=live, per_hour=per_hour, grades=grades, qa_series=qa_series,
            mosaic=mosaic, jobs_total=int(jobs_total), jobs_failed=int(failed.total),
            failed=failed.rows, funnel=funnel, health=self.health_source(freshness, now))

    # ------------------------------------------------------------ on the loop
    def apply(self, result: WallSnapshot | DatabaseUnavailableError) -> None:
        if isinstance(result, DatabaseUnavailableError):
            self.param.update(error=result.user_message, now=self.clock())
        else:
            self.param.update(snapshot=result, error=None, now=result.now)

    # ------------------------------------------------------------- derived
    @property
    def seconds_since_latest(self) -> float | None:
        s = self.snapshot
        return None if s is None else s.freshness.age_at(self.now or s.now)

    def stale(self) -> tuple[str, str] | None:
        """(light, sentence) when the wall must warn that data stopped or fell behind;
        None when the pipeline keeps up."""
        if self.error is not None:
            read = self.snapshot.now if self.snapshot else None
            shown = ("" if read is None else
                     f" The figures shown were read {human_age(self.clock() - read)}.")
            return BAD, f"Database not answering: {self.error}.{shown}"
        s = self.snapshot
        if s is None:
            return None
        age = self.seconds_since_latest
        if age is None:
            return WARN, "No image in the database yet."
        if age >= FRESH_GREEN_S:
            return (freshness_light(age),
                    f"STALE: no new image for {human_duration(age)} "
                    f"(last image {human_age(age)}).")
        behind = s.freshness.latency_latest_s
        if behind is not None and behind >= BEHIND_S:
            return (WARN, f"BEHIND: the newest image was made {human_duration(behind)} "
                          "after its observation.")
        return None

    def poor_fraction(self) -> tuple[int, int]:
        s = self.snapshot
        if s is None:
            return 0, 0
        return s.grades.get("poor", 0), sum(s.grades.values())

    def lights(self) -> dict[str, str]:
        """The light of each headline figure; ``health`` is the worst of the others and
        of the server's health report."""
        s = self.snapshot
        poor, graded = self.poor_fraction()
        parts = {
            "freshness": freshness_light(self.seconds_since_latest),
            "jobs": (fraction_light(s.jobs_failed / s.jobs_total, FAILED_JOBS_GREEN,
                                    FAILED_JOBS_AMBER) if s and s.jobs_total else UNKNOWN),
            "qa": (fraction_light(poor / graded, POOR_IMAGES_GREEN, POOR_IMAGES_AMBER)
                   if graded else UNKNOWN),
        }
        if self.error is not None:
            overall = BAD
        elif s is None:
            overall = UNKNOWN
        else:
            overall = worst([s.health.state, *parts.values()])
        return {"health": overall, **parts}

    def overall(self) -> str:
        return self.lights()["health"]
