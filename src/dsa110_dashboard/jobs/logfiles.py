"""Where a job's log file is, confined to the places logs may be read from, and its
last lines without reading the whole file (shared by ``jobs logs`` and the API); what
a growing log gained since the last read (the job page's live tail).

Reads are bounded: a tail reads at most ``max_bytes`` from the end, and following a
growing file reads at most ``max_bytes`` per call, so a runaway log cannot fill a page
or the memory."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from ..db.engine import Database
from ..files import DataRoots
from ..repositories.jobs import JobRecord, QueueState
from ..repositories.records import run_id_for
from ..settings import Settings

_BLOCK = 64 * 1024
#: Default bound of one read, in bytes.
READ_BYTES = 256 * 1024


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


@dataclass(frozen=True)
class LogChunk:
    text: str
    #: The byte offset to read from next time.
    offset: int
    #: Bytes before this chunk were skipped (the tail of a long file, or the file was
    #: replaced and read again from its start).
    skipped: bool = False


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def read_tail(path: Path, max_bytes: int = READ_BYTES) -> LogChunk | None:
    """The end of ``path`` (at most ``max_bytes``, from a line start); None without it."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            start = max(0, size - max_bytes)
            fh.seek(start)
            data = fh.read(size - start)
    except FileNotFoundError:
        return None
    if start > 0:
        newline = data.find(b"\n")
        data = data[newline + 1:] if newline >= 0 else data
    return LogChunk(_decode(data), size, skipped=start > 0)


def read_from(path: Path, offset: int, max_bytes: int = READ_BYTES, *,
              whole_lines: bool = True) -> LogChunk | None:
    """What ``path`` holds past ``offset``: with ``whole_lines`` (a file still being
    written) a line still being written waits for the next call, unless ``max_bytes``
    are there. A file now shorter than
    ``offset`` was replaced (a retry rewrote it) and is read from its start."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            skipped = False
            if size < offset:
                offset, skipped = 0, True
            fh.seek(offset)
            data = fh.read(min(max_bytes, size - offset))
    except FileNotFoundError:
        return None
    if whole_lines and len(data) < max_bytes:
        end = data.rfind(b"\n")
        data = data[:end + 1] if end >= 0 else b""
    return LogChunk(_decode(data), offset + len(data), skipped=skipped)
