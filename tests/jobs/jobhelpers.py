"""Real commands for the queue's tests: small scripts the tests write and run."""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from dsa110_dashboard.db.dashboard_schema import dash_job_state
from dsa110_dashboard.jobs.audit import Actor
from dsa110_dashboard.settings import Settings

ACTOR = Actor(name="tester", address="127.0.0.1")

#: Writes its arguments as JSON to $OUT_DIR/<run id>.argv.json, prints to stdout and
#: stderr, then behaves as its first argument says.
SCRIPT = r'''#!{python}
import json, os, subprocess, sys, time
mode, run_id = sys.argv[1], sys.argv[2]
out = os.environ["JOB_TEST_OUT"]
with open(os.path.join(out, run_id + ".argv.json"), "w") as fh:
    json.dump(sys.argv[1:], fh)
with open(os.path.join(out, "runs.txt"), "a") as fh:
    fh.write(run_id + "\n")
print("starting", run_id, flush=True)
if mode == "ok":
    print("all good", flush=True)
elif mode == "fail":
    print("Traceback (most recent call last):\nValueError: bad visibilities", file=sys.stderr, flush=True)
    sys.exit(3)
elif mode == "sleep":
    # A child in the same process group, as a real pipeline step would start.
    child = subprocess.Popen(["sleep", "300"])
    with open(os.path.join(out, run_id + ".pids"), "w") as fh:
        fh.write(f"{os.getpid()} {child.pid}\n")
    time.sleep(300)
elif mode == "sleep-once":
    # Sleeps on its first attempt (until its worker is killed), succeeds on the next.
    pids = os.path.join(out, run_id + ".pids")
    if os.path.exists(pids):
        print("second attempt", flush=True)
        sys.exit(0)
    child = subprocess.Popen(["sleep", "300"])
    with open(pids, "w") as fh:
        fh.write(f"{os.getpid()} {child.pid}\n")
    time.sleep(300)
elif mode == "stubborn":
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen(["sleep", "300"])
    with open(os.path.join(out, run_id + ".pids"), "w") as fh:
        fh.write(f"{os.getpid()} {child.pid}\n")
    time.sleep(300)
'''


def write_script(directory: Path) -> Path:
    path = directory / "fake_pipeline.py"
    path.write_text(SCRIPT.replace("{python}", sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def template(script: Path, mode: str, *extra: str) -> str:
    return shlex.join([str(script), mode, "{run_id}", *extra])


def settings_with(db_url: str, tmp: Path, template_text: str | None = None,
                  **env: str) -> Settings:
    values = {"DSA110_DASH_DB": db_url, "CONTIMG_LOGS_DIR": str(tmp / "logs"),
              "DSA110_DASH_DATA_DIR": str(tmp / "data"),
              "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT": "0.2",
              "DSA110_DASH_TIMEOUT_JOB_KILL_GRACE": "2",
              "DSA110_DASH_TIMEOUT_WORKER_POLL": "0.2", **env}
    if template_text is not None:
        values["PIPELINE_CMD_TEMPLATE"] = template_text
    return Settings.load(environ=values)


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return text[text.rindex(")") + 2] not in "ZX"


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def argv_of(out: Path, run_id: str) -> list[str]:
    return json.loads((out / f"{run_id}.argv.json").read_text())


def state_of(db, job_id: int):
    with db.connect() as conn:
        return conn.execute(sa.select(dash_job_state).where(
            dash_job_state.c.job_id == job_id)).mappings().one()


def child_env(out: Path) -> None:
    os.environ["JOB_TEST_OUT"] = str(out)


RECORD = """#!/bin/sh
echo "$1" >> "$JOB_TEST_OUT/runs.txt"
"""


def write_recorder(directory: Path) -> Path:
    """The quickest real command: appends its run id to runs.txt."""
    path = directory / "record.sh"
    path.write_text(RECORD)
    path.chmod(0o755)
    return path


def worker_process(settings_env: dict[str, str], *args: str):
    """``dsa110-dash worker`` as its own process, as an operator starts it."""
    import subprocess

    env = {**os.environ, **settings_env}
    return subprocess.Popen([sys.executable, "-m", "dsa110_dashboard.cli.main", "worker",
                             *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
