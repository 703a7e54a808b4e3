"""Operator actions on jobs: rerun and cancel, each checked and audited.

The command line calls these now; the jobs page and the JSON API call the same functions
with the signed-in user's ``Actor``, so every path applies the same checks and leaves the
same audit row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..auth.roles import Role
from ..db.engine import Database
from ..errors import DashboardError, NotConfiguredError
from ..repositories.calibration import CalibrationRepository
from ..repositories.jobs import JobRecord, JobRepository
from ..repositories.measurement_sets import MeasurementSetRepository
from ..settings import Settings
from .audit import Actor, audited, require_role, require_writable
from .commands import CommandTemplate
from .overrides import DECLARED, apply_overrides
from .queue import JobQueue

RERUN_TYPE = "pipeline_rerun"


@dataclass(frozen=True)
class RerunResult:
    job_id: int
    run_id: str
    rerun_of: int
    argv: list[str]
    #: {key: {"from": old, "to": new}} of the overrides that changed a value.
    changed: dict[str, dict[str, Any]]


def operator_actions_unavailable(db: Database) -> str | None:
    """Why operator actions cannot run on this database (for disabled buttons), or None."""
    try:
        require_writable(db, "rerunning or cancelling a job")
    except DashboardError as exc:
        return exc.user_message
    return None


class JobService:
    def __init__(self, db: Database, settings: Settings,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.settings = settings
        self.queue = JobQueue(db, settings, clock)
        self.jobs = JobRepository(db)

    # ------------------------------------------------------------- configuration
    def rerun_configuration(self, job: JobRecord) -> dict[str, Any]:
        """What a rerun of ``job`` starts from, all from the database: its parameters
        (the declared keys), its MS, the calibration tables active at the MS's time (in
        apply order) and its phase centre."""
        params = job.params if isinstance(job.params, dict) else {}
        config: dict[str, Any] = {k: v for k, v in params.items() if k in DECLARED}
        ms = MeasurementSetRepository(self.db).find(job.ms_path)
        ra = dec = mid = None
        if ms is not None:
            ra = ms.ra_deg if ms.ra_deg is not None else ms.pointing_ra_deg
            dec = ms.dec_deg if ms.dec_deg is not None else ms.pointing_dec_deg
            mid = ms.mid_mjd
        tables = CalibrationRepository(self.db).active_for_mjd(mid)
        config.update(ms_path=job.ms_path,
                      cal_table=",".join(t.path for t in tables) or None,
                      phase_center_ra=ra, phase_center_dec=dec)
        return config

    def _template(self) -> CommandTemplate:
        text = self.settings.command_template
        if not text:
            raise NotConfiguredError(
                "reruns are off: no pipeline command is configured. Set "
                "PIPELINE_CMD_TEMPLATE (or the pipeline's DSA110_PIPELINE_RUN_CMD) to the "
                "command that reprocesses one measurement set, e.g. "
                "'dsa110-pipeline run --ms {ms_path} --run-id {run_id}'.")
        try:
            return CommandTemplate.parse(text)
        except ValueError as exc:  # settings validate it; a hand-built Settings may not
            raise NotConfiguredError(f"PIPELINE_CMD_TEMPLATE: {exc}") from None

    def _registered_caltables(self, raw: Mapping[str, Any]) -> list[str]:
        if "cal_table" not in raw:
            return []
        t = self.db.catalog["caltables"]
        wanted = [p.strip() for p in str(raw["cal_table"]).split(",") if p.strip()]
        if not t.exists or not wanted:
            return []
        with self.db.connect() as conn:
            return list(conn.execute(sa.select(t["path"]).select_from(t.table)
                                     .where(t["path"].in_(wanted))).scalars())

    # ------------------------------------------------------------------- actions
    def rerun(self, actor: Actor, ref: str | int,
              overrides: Mapping[str, Any] | None = None) -> RerunResult:
        """Queue a rerun of job ``ref`` (id or run id) with the operator's overrides."""
        raw = dict(overrides or {})

        def work(ok) -> RerunResult:
            require_role(actor, Role.OPERATOR, "rerunning a job")
            require_writable(self.db, "rerunning a job")
            template = self._template()
            job_id = self.jobs.resolve(ref)
            original = self.jobs.get(job_id)
            base = self.rerun_configuration(original)
            config, changed = apply_overrides(base, raw, self._registered_caltables(raw))
            params = dict(original.params) if isinstance(original.params, dict) else {}
            params.update({k: config[k] for k in DECLARED
                           if DECLARED[k].where == "params" and k in config})
            params["rerun_of"] = job_id
            with self.db.transaction() as conn:
                new_id, run_id, argv = self.queue.enqueue(
                    conn, job_type=RERUN_TYPE, ms_path=original.ms_path, params=params,
                    template=template, values=config, requested_by=actor.name,
                    rerun_of=job_id, overrides=changed)
                ok(conn, target_id=job_id, detail={"new_job": new_id, "run_id": run_id,
                                                   "changed": changed})
            return RerunResult(new_id, run_id, job_id, argv, changed)

        return audited(self.db, actor, "rerun", "job", ref, work)

    def cancel(self, actor: Actor, ref: str | int) -> str:
        """Cancel job ``ref``: ``cancelled`` when it was still pending, ``requested``
        when it is running (its worker stops its processes at the next heartbeat)."""
        def work(ok) -> str:
            require_role(actor, Role.OPERATOR, "cancelling a job")
            require_writable(self.db, "cancelling a job")
            job_id = self.jobs.resolve(ref)
            with self.db.transaction() as conn:
                outcome = self.queue.request_cancel(conn, job_id, actor.name)
                ok(conn, target_id=job_id, detail={"outcome": outcome})
            return outcome

        return audited(self.db, actor, "cancel", "job", ref, work)
