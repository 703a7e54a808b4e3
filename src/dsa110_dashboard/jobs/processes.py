"""Process groups of running jobs: start time, liveness, and stopping all of a group.

Each job's command starts in a new session (``start_new_session=True``), so it leads a
process group of its own holding every child it spawns; stopping the job means SIGTERM
to the whole group, then SIGKILL after a grace period. Linux ``/proc`` tells which
processes are still in a group (zombies waiting for a parent to reap them do not count)
and when a process started, which guards against a reused pid.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state is [0])."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2:].split()


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, as text (None if gone)."""
    fields = _stat(pid)
    return fields[19] if fields else None


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``."""
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(pgid: int, grace: float, poll: float = 0.05) -> bool:
    """SIGTERM to the group, SIGKILL to what is left after ``grace`` seconds.

    Returns True when it had to use SIGKILL.
    """
    if not group_members(pgid):
        return False
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return False
        time.sleep(poll)
    _signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + grace
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(poll)
    return True


def stop_orphans(host: str | None, pgid: int | None, pid_start: str | None,
                 grace: float) -> str:
    """Stop what a dead worker's job left running, when it ran on this host.

    The group is stopped only if its leader is the very process that was started (same
    start time), or, the leader gone, if its remaining members started after it (a
    reused pid would lead a group of older or unrelated processes). Returns what was
    done, in words, for the job's history.
    """
    if pgid is None:
        return "no process was recorded"
    if host != socket.gethostname():
        return f"its processes ran on {host}; stop process group {pgid} there"
    leader_start = start_time(pgid)
    members = group_members(pgid)
    if not members:
        return f"process group {pgid} had already ended"
    if leader_start is not None:
        if leader_start != pid_start:
            return f"pid {pgid} now belongs to another process; left alone"
    elif pid_start is None or any(int(start_time(m) or 0) < int(pid_start) for m in members):
        return f"process group {pgid} could not be confirmed as the job's; left alone"
    killed = stop_group(pgid, grace)
    return f"stopped process group {pgid}" + (" (SIGKILL)" if killed else "")
