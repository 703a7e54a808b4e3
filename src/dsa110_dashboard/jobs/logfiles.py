"""Where a job's log file is, confined to the places logs may be read from, and its
last lines without reading the whole file (shared by ``jobs logs`` and the API)."""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

from ..db.engine import Database
from ..files import DataRoots
from ..repositories.jobs import JobRecord, QueueState
from ..repositories.records import run_id_for
from ..settings import Settings

_BLOCK = 64 * 1024


def log_path(settings: Settings, db: Database, job: JobRecord,
             state: QueueState | None) -> Path:
    """The queue's recorded log file, else the pipeline's ``{logs_dir}/{run_id}.log``;
    ForbiddenPathError outside the data roots and the logs directory."""
    raw = (state.log_path if state is not None and state.log_path else
           str(settings.effective_logs_dir / f"{run_id_for(job.ms_path)}.log"))
    served = DataRoots.for_server(settings, db.target)
    roots = DataRoots.of((*served.roots, settings.effective_logs_dir), served.never)
    return roots.confine(raw, must_exist=False)


def tail_lines(path: Path, n: int) -> list[str]:
    """The last ``n`` lines of ``path``, read backwards in blocks from its end."""
    if n <= 0:
        return []
    with open(path, "rb") as fh:
        end = fh.seek(0, os.SEEK_END)
        data = b""
        pos = end
        while pos > 0 and data.count(b"\n") <= n:
            step = min(_BLOCK, pos)
            pos -= step
            fh.seek(pos)
            data = fh.read(step) + data
    lines = deque(data.decode("utf-8", "replace").splitlines(), maxlen=n)
    return list(lines)
