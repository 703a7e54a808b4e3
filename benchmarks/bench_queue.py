"""Job queue speed: jobs claimed and finished per second, and rerun-to-start latency.

For SQLite and PostgreSQL (127.0.0.1, user postgres; a scratch database is created and
dropped), with 1 and 4 workers (each its own engine, as separate processes would have)
running a no-op command (/bin/true), prints:
  - jobs per second through the queue (queue, claim, run, record the outcome);
  - the baseline measured in the same run: /bin/true started and waited for in a loop
    by one process (the floor a single worker cannot beat), and the ratio to it;
  - the time from a rerun request (JobService.rerun) to the command starting, with a
    worker waiting for work (it polls every DSA110_DASH_TIMEOUT_WORKER_POLL seconds).

Run: python benchmarks/bench_queue.py [--jobs 200] [--reruns 5] [--poll 0.5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.jobs.audit import Actor
from dsa110_dashboard.jobs.commands import CommandTemplate
from dsa110_dashboard.jobs.queue import JobQueue
from dsa110_dashboard.jobs.service import JobService
from dsa110_dashboard.jobs.worker import Worker
from dsa110_dashboard.settings import Settings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def settings_for(url: str, tmp: Path, poll: float, template: str = "/bin/true") -> Settings:
    return Settings.load(environ={
        "DSA110_DASH_DB": url, "CONTIMG_LOGS_DIR": str(tmp / "logs"),
        "DSA110_DASH_DATA_DIR": str(tmp), "DSA110_DASH_TIMEOUT_WORKER_POLL": str(poll),
        "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT": "0.05", "PIPELINE_CMD_TEMPLATE": template})


def spawn_baseline(n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run(["/bin/true"], check=True)
    return n / (time.perf_counter() - start)


def fill(db: Database, settings: Settings, n: int) -> None:
    queue = JobQueue(db, settings)
    command = CommandTemplate.parse("/bin/true {run_id}")
    with db.transaction() as conn:
        for i in range(n):
            queue.enqueue(conn, job_type="bench", ms_path=f"/bench/{i:06d}.ms", params={},
                          template=command, values={}, requested_by="bench")


def throughput(url: str, tmp: Path, workers: int, n: int, poll: float) -> float:
    settings = settings_for(url, tmp, poll)
    db = Database(settings)
    fill(db, settings, n)
    engines = [Database(settings) for _ in range(workers)]
    threads = [threading.Thread(target=Worker(e, settings, name=f"bench-{k}").run,
                                kwargs={"until_idle": True}) for k, e in enumerate(engines)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    jobs = db.catalog["jobs"].table
    with db.connect() as conn:
        done = conn.execute(sa.select(sa.func.count()).where(
            jobs.c.type == "bench", jobs.c.status == "completed")).scalar_one()
        conn.execute(sa.text("SELECT 1"))
    with db.transaction() as conn:  # the next measurement starts from an empty queue
        conn.execute(sa.delete(jobs).where(jobs.c.type == "bench"))
    for e in engines + [db]:
        e.dispose()
    assert done == n, f"only {done} of {n} jobs completed"
    return n / seconds


def rerun_latency(url: str, tmp: Path, reruns: int, poll: float) -> list[float]:
    stamp_file = tmp / "started.json"
    script = tmp / "stamp.py"
    script.write_text("import json, sys, time\n"
                      f"open({str(stamp_file)!r}, 'a').write(json.dumps([sys.argv[1], "
                      "time.time()]) + '\\n')\n")
    settings = settings_for(url, tmp, poll, f"python3 {script} {{run_id}}")
    db = Database(settings)
    jobs = db.catalog["jobs"].table
    with db.transaction() as conn:
        original = conn.execute(sa.insert(jobs).values(
            type="imaging", status="completed", ms_path="/bench/orig.ms", created_at=0.0)
            .returning(jobs.c.id)).scalar_one()
    worker = Worker(Database(settings), settings, name="latency")
    thread = threading.Thread(target=worker.run)
    thread.start()
    service = JobService(db, settings)
    asked = {}
    try:
        for _ in range(reruns):
            t0 = time.time()
            result = service.rerun(Actor("bench"), original)
            asked[result.run_id] = t0
            while result.run_id not in (stamp_file.read_text() if stamp_file.exists() else ""):
                time.sleep(0.01)
            time.sleep(poll * 0.37)  # requests land at different phases of the poll
    finally:
        worker.stop()
        thread.join()
        worker.db.dispose()
        db.dispose()
    started = dict(json.loads(line) for line in stamp_file.read_text().splitlines())
    return [started[r] - t for r, t in asked.items()]


def backends(tmp: Path):
    yield "sqlite", str(tmp / "bench.sqlite3")
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"dsa110_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield "postgresql", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--reruns", type=int, default=5)
    parser.add_argument("--poll", type=float, default=2.0,
                        help="worker poll interval (default: the setting's default, 2 s)")
    args = parser.parse_args()
    floor = spawn_baseline(args.jobs)
    print(f"baseline: /bin/true started and waited for in a loop: {floor:7.1f} per s")
    for backend, url in backends(Path(tempfile.mkdtemp(prefix="bench_queue_"))):
        tmp = Path(tempfile.mkdtemp(prefix=f"bench_queue_{backend}_"))
        db = Database(settings_for(url, tmp, args.poll))
        migrate.upgrade(db)
        db.dispose()
        for workers in (1, 4):
            rate = throughput(url, tmp, workers, args.jobs, args.poll)
            print(f"{backend:<10} {workers} worker(s): {rate:7.1f} jobs per s "
                  f"({rate / floor:.2f}x the baseline)")
        latency = rerun_latency(url, tmp, args.reruns, args.poll)
        print(f"{backend:<10} rerun request -> command start: median "
              f"{statistics.median(latency):.2f} s, max {max(latency):.2f} s "
              f"(worker poll {args.poll:g} s)")


if __name__ == "__main__":
    main()
