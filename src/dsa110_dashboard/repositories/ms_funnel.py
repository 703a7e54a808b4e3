"""The pipeline funnel over ``ms_index``: how many measurement sets sit in each stage and
status, and which of them are stuck (decision 0051).

Stuck means: a failed status (``failed``, ``skipped_no_caltables``), or a status that
still expects work (anything not settled, NULL and unknown ones included) in a stage
before the last, unchanged since before a cutoff (``DSA110_DASH_MS_STUCK_HOURS`` ago).
A settled MS (``completed`` at ``photometry_complete``, say) is where the pipeline left
it on purpose and is never stuck by time alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..db.catalog import TableView
from ..db.engine import Database

#: The pipeline's stages in order (pipeline-db.md); unknown ones are shown after these.
STAGES = ("discovered", "ingested", "converted", "calibrated", "imaged",
          "photometry_complete", "mosaicked", "cataloged")
FINAL_STAGE = STAGES[-1]
FAILED_STATUSES = ("failed", "skipped_no_caltables")
#: Statuses that say the pipeline is done with the MS (for now), well or with a remark.
SETTLED_STATUSES = ("ok", "done", "completed", "flagged")
#: Stuck measurement sets the page and the API list with reasons (waiting longest first).
STUCK_LISTED = 20
#: The most observations the funnel-over-time reads (30 nights hold ~10,000).
HISTORY_ROWS = 50_000
#: A reason taken from a log line is clipped to this many characters.
REASON_CHARS = 300


def stuck_condition(t: TableView, cutoff_unix: float) -> sa.ColumnElement:
    """True for a stuck row of ``ms_index`` (``t``); ``cutoff_unix`` = now - threshold."""
    since = sa.func.coalesce(t["stage_updated_at"], t["created_at"])
    status = sa.func.coalesce(t["status"], "")
    waiting = sa.and_(status.not_in(SETTLED_STATUSES + FAILED_STATUSES),
                      sa.func.coalesce(t["stage"], "") != FINAL_STAGE,
                      since < cutoff_unix)
    return sa.or_(status.in_(FAILED_STATUSES), waiting)


@dataclass(frozen=True)
class FunnelCount:
    stage: str | None
    status: str | None
    count: int
    stuck: int


@dataclass(frozen=True)
class StuckMeasurementSet:
    path: str
    stage: str | None
    status: str | None
    mid_mjd: float | None
    #: Unix seconds of the last stage change (created_at when the DB has none).
    since: float | None
    #: The newest error the database records for it (a failed job's last log line, a
    #: failed calibration, a failed batch item), or None when it has none.
    reason: str | None


def stage_order(stage: str | None) -> tuple[int, str]:
    """Sort key: known stages in pipeline order, then unknown ones, then NULL."""
    if stage in STAGES:
        return (STAGES.index(stage), "")
    return (len(STAGES) + (stage is None), stage or "")


class MeasurementSetFunnel:
    def __init__(self, db: Database):
        self.db = db

    def counts(self, cutoff_unix: float) -> list[FunnelCount]:
        """One row per (stage, status) present, in stage order."""
        if not self.db.catalog["ms_index"].exists:
            return []
        with self.db.connect() as conn:
            rows = [FunnelCount(stage, status, int(n), int(s or 0))
                    for stage, status, n, s in conn.execute(self.counts_statement(cutoff_unix))]
        return sorted(rows, key=lambda r: (stage_order(r.stage), r.status or ""))

    def counts_statement(self, cutoff_unix: float) -> sa.Select:
        """Stage, status, count, stuck count: every column it reads is in
        ``dash_idx_ms_index_funnel`` (revision 0011), so the index alone answers it."""
        t = self.db.catalog["ms_index"]
        stuck = sa.func.sum(sa.case((stuck_condition(t, cutoff_unix), 1), else_=0))
        return (sa.select(t["stage"], t["status"], sa.func.count(), stuck)
                .select_from(t.table).group_by(t["stage"], t["status"]))

    def history(self, mjd_min: float, mjd_max: float) -> pd.DataFrame:
        """(mid_mjd, stage) of the observations in [mjd_min, mjd_max], oldest first, for
        the funnel over time (binned by the view-model)."""
        t = self.db.catalog["ms_index"]
        if not t.exists:
            return pd.DataFrame(columns=["mid_mjd", "stage"])
        stmt = (sa.select(t["mid_mjd"], t["stage"]).select_from(t.table)
                .where(t["mid_mjd"] >= mjd_min, t["mid_mjd"] <= mjd_max)
                .order_by(t["mid_mjd"]).limit(HISTORY_ROWS))
        with self.db.connect() as conn:
            return pd.DataFrame(conn.execute(stmt).all(), columns=["mid_mjd", "stage"])

    def latest_mjd(self) -> float | None:
        t = self.db.catalog["ms_index"]
        if not t.exists:
            return None
        with self.db.connect() as conn:
            return conn.execute(sa.select(sa.func.max(t["mid_mjd"])).select_from(t.table)
                                ).scalar()

    def stuck(self, cutoff_unix: float, limit: int = 100) -> list[StuckMeasurementSet]:
        """The stuck ones that have waited longest first, each with its reason."""
        t = self.db.catalog["ms_index"]
        if not t.exists:
            return []
        since = sa.func.coalesce(t["stage_updated_at"], t["created_at"])
        stmt = (sa.select(t["path"], t["stage"], t["status"], t["mid_mjd"], since)
                .select_from(t.table).where(stuck_condition(t, cutoff_unix))
                .order_by(since.asc().nulls_first(), t["path"]).limit(limit))
        with self.db.connect() as conn:
            rows = conn.execute(stmt).all()
            reasons = self._reasons(conn, [r[0] for r in rows])
        return [StuckMeasurementSet(path, stage, status, mid, since_at, reasons.get(path))
                for path, stage, status, mid, since_at in rows]

    def _reasons(self, conn: sa.Connection, paths: list[str]) -> dict[str, str]:
        """The newest recorded error per MS path, from the tables that hold one."""
        found: dict[str, tuple[float, str]] = {}

        def keep(path: str, at: float | None, text: str | None) -> None:
            if not text:
                return
            at = at if at is not None else float("-inf")
            if path not in found or at > found[path][0]:
                found[path] = (at, text)

        if not paths:
            return {}
        applied = self.db.catalog["calibration_applied"]
        if applied.exists:
            stmt = (sa.select(applied["ms_path"], applied["applied_at"],
                              applied["error_message"]).select_from(applied.table)
                    .where(applied["ms_path"].in_(paths),
                           sa.func.coalesce(applied["success"], 1) == 0))
            for path, at, text in conn.execute(stmt):
                keep(path, at, f"calibration failed: {text}" if text else "calibration failed")
        items = self.db.catalog["batch_job_items"]
        if items.exists:
            stmt = (sa.select(items["ms_path"], items["completed_at"], items["error"])
                    .select_from(items.table)
                    .where(items["ms_path"].in_(paths), items["error"].is_not(None)))
            for path, at, text in conn.execute(stmt):
                keep(path, at, text)
        jobs = self.db.catalog["jobs"]
        if jobs.exists:
            stmt = (sa.select(jobs["ms_path"], jobs["id"], jobs["type"],
                              sa.func.coalesce(jobs["finished_at"], jobs["created_at"]),
                              jobs["logs"]).select_from(jobs.table)
                    .where(jobs["ms_path"].in_(paths), jobs["status"] == "failed"))
            for path, job_id, job_type, at, logs in conn.execute(stmt):
                keep(path, at, f"{job_type} job {job_id} failed" + _last_line(logs))
        return {path: text for path, (_, text) in found.items()}


def _last_line(logs: str | None) -> str:
    """': <the log's last non-empty line>' (clipped), or '' without a log."""
    lines = [line.strip() for line in (logs or "").splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return ": " + (last if len(last) <= REASON_CHARS else last[:REASON_CHARS - 1] + "…")
