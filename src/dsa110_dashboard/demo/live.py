"""The live demo: a simulated pipeline that keeps the demo dataset growing.

Every ``DSA110_DASH_DEMO_LIVE_INTERVAL`` seconds it "observes": a new measurement set
(named by the current UTC time, as the pipeline names them) enters ``ms_index``, and an
imaging job is queued through the job queue with the demo's command template. A worker
(``dsa110-dash worker``) then runs ``demo.live_command`` like any pipeline command: it
draws the image from the synthetic sky, measures photometry and QA, and some runs fail
as the real imaging step fails. The sky of the demo is a strip of limited RA, so live
observations point in turn at the RAs of the dataset's latest day of images rather than
at the wall-clock LST.
"""

from __future__ import annotations

import logging
import shlex
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from ..db.engine import Database
from ..jobs.commands import CommandTemplate
from ..jobs.queue import JobQueue
from ..science.times import iso_seconds, unix_to_mjd
from ..settings import Settings
from . import observing as obs

log = logging.getLogger(__name__)

#: Share of the simulated pipeline's own imaging runs that fail (reruns never do).
FAIL_RATE = 0.15
REQUESTED_BY = "system:demo-pipeline"
FIELD_NAME = "drift_dec+54.57"


def demo_template() -> str:
    """The command template of the demo pipeline (what PIPELINE_CMD_TEMPLATE is set to
    when ``make run`` serves the embedded demo)."""
    return shlex.join([sys.executable, "-m", "dsa110_dashboard.demo.live_command",
                       "--ms", "{ms_path}", "--run-id", "{run_id}",
                       "--ra", "{phase_center_ra}", "--dec", "{phase_center_dec}"])


class LivePipeline:
    def __init__(self, db: Database, settings: Settings, out: Path,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.settings = settings
        self.out = out
        self.clock = clock
        self.queue = JobQueue(db, settings, clock)
        self.template = CommandTemplate.parse(
            f"{demo_template()} --fail-rate {FAIL_RATE}")
        self.count = 0
        self._ras: list[float] | None = None

    def pointings(self) -> list[float]:
        """Centre RAs of the latest day's images, in time order."""
        if self._ras is None:
            t = self.db.catalog["images"]
            with self.db.connect() as conn:
                ras = conn.execute(sa.select(t["center_ra_deg"]).select_from(t.table)
                                   .where(t["type"] == "5min",
                                          t["center_ra_deg"].is_not(None))
                                   .order_by(t["created_at"].desc()).limit(
                                       obs.DEFAULT_IMAGES_PER_DAY)).scalars().all()
            self._ras = [float(r) for r in reversed(ras)] or [obs.WINDOW_CENTRE_LST_DEG]
        return self._ras

    def observe(self) -> tuple[int, str]:
        """Register one new observation and queue its imaging job: (job id, run id)."""
        now = self.clock()
        start_mjd = unix_to_mjd(now) - obs.MS_DURATION_DAYS
        mid = start_mjd + obs.MS_DURATION_DAYS / 2
        stamp = str(iso_seconds(start_mjd)[0])
        ras = self.pointings()
        ra = ras[self.count % len(ras)]
        self.count += 1
        dec = obs.STRIP_DEC_DEG
        ms_path = str(self.out / "ms" / f"{stamp}.ms")
        ms = self.db.catalog["ms_index"].table
        with self.db.transaction() as conn:
            conn.execute(sa.insert(ms).values(
                path=ms_path, start_mjd=start_mjd, end_mjd=start_mjd + obs.MS_DURATION_DAYS,
                mid_mjd=mid, status="pending", stage="calibrated", stage_updated_at=now,
                cal_applied=1, field_name=FIELD_NAME, pointing_ra_deg=ra,
                pointing_dec_deg=dec, ra_deg=ra, dec_deg=dec, group_id=stamp,
                created_at=now))
            job_id, run_id, _ = self.queue.enqueue(
                conn, job_type="imaging", ms_path=ms_path,
                params={"imsize": 1024, "weighting": "briggs", "robust": 0.5,
                        "niter": 10000},
                template=self.template,
                values={"ms_path": ms_path, "phase_center_ra": ra, "phase_center_dec": dec},
                requested_by=REQUESTED_BY)
        log.info("observed %s: queued imaging job %s (%s)", ms_path, job_id, run_id)
        return job_id, run_id

    def run(self, stopping: threading.Event) -> None:
        interval = self.settings.demo_live_interval
        log.info("live demo on %s: a new observation every %g s", self.db.target.display(),
                 interval)
        while not stopping.is_set():
            self.observe()
            stopping.wait(interval)
