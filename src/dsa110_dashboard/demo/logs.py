"""Job log files as the pipeline leaves them: ``{logs_dir}/{run_id}.log``, one per MS.

Every job run on an MS appends to the MS's log (the old API derives the run id from the
MS stem), so a calibrator MS's log holds its calibration and its imaging. Timestamps
come from the schedule, never the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Tracebacks of the failures the demo injects, keyed by kind.
TRACEBACKS = {
    "imaging": (
        "Traceback (most recent call last):\n"
        '  File "/opt/dsa110-contimg/src/dsa110_contimg/imaging/worker.py", line 214, in run_imaging\n'
        "    result = wsclean.run(ms_path, params)\n"
        '  File "/opt/dsa110-contimg/src/dsa110_contimg/imaging/wsclean.py", line 97, in run\n'
        "    raise ImagingError(f\"wsclean exited with status {proc.returncode}: {tail}\")\n"
        "dsa110_contimg.imaging.errors.ImagingError: wsclean exited with status 137: "
        "Killed (out of memory while gridding 6300x6300, 24 fields)\n"),
    "conversion": (
        "Traceback (most recent call last):\n"
        '  File "/opt/dsa110-contimg/src/dsa110_contimg/conversion/uvh5_to_ms.py", line 388, in convert_group\n'
        "    uv.read(files, run_check=True)\n"
        '  File "/opt/conda/lib/python3.11/site-packages/pyuvdata/uvdata/uvh5.py", line 1042, in read_uvh5\n'
        "    with h5py.File(filename, \"r\") as f:\n"
        '  File "/opt/conda/lib/python3.11/site-packages/h5py/_hl/files.py", line 562, in __init__\n'
        "    fid = make_fid(name, mode, userblock_size, fapl, fcpl, swmr=swmr)\n"
        "OSError: Unable to synchronously open file (truncated file: eof = 41943040, "
        "sblock->base_addr = 0, stored_eof = 134217728)\n"),
    "calibration": (
        "Traceback (most recent call last):\n"
        '  File "/opt/dsa110-contimg/src/dsa110_contimg/calibration/solve.py", line 171, in solve_bandpass\n'
        "    casatasks.bandpass(vis=ms_path, caltable=table, refant=\"103\", solint=\"inf\")\n"
        '  File "/opt/casa/lib/py/lib/python3.11/site-packages/casatasks/bandpass.py", line 182, in __call__\n'
        "    raise RuntimeError(msg)\n"
        "RuntimeError: bandpass: reference antenna 103 is flagged in all solutions; "
        "insufficient unflagged antennas for a solution\n"),
}


def iso_ms(unix: float) -> str:
    """``YYYY-MM-DD HH:MM:SS,mmm`` as Python's logging writes it."""
    t = np.datetime64(int(round(unix * 1000)), "ms")
    text = np.datetime_as_string(t, unit="ms")
    return text.replace("T", " ").replace(".", ",")


@dataclass
class LogBook:
    """Collects the lines of every run's log, then writes the files."""

    lines: dict[str, list[tuple[float, str]]]

    @classmethod
    def empty(cls) -> LogBook:
        return cls({})

    def add(self, run_id: str, unix: float, level: str, logger: str, message: str) -> None:
        self.lines.setdefault(run_id, []).append(
            (unix, f"{iso_ms(unix)} {level:<7} {logger}: {message}"))

    def job_text(self, run_id: str, since: float, until: float) -> str:
        """What ``jobs.logs`` keeps: this job's lines from the run's log."""
        return "\n".join(text for t, text in sorted(self.lines.get(run_id, []))
                         if since <= t <= until)

    def write(self, logs_dir: Path) -> list[Path]:
        logs_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for run_id, entries in sorted(self.lines.items()):
            path = logs_dir / f"{run_id}.log"
            path.write_text("\n".join(text for _, text in sorted(entries)) + "\n")
            written.append(path)
        return written
