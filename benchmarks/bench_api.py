"""API latency: a 5,000-point lightcurve and the list endpoints, beside the cheapest
answer of the same stack.

The demo dataset is built in a temporary directory (``build_demo(days=2, size=256)``);
one demo source is grown to ``--epochs`` photometry rows (``bench_source_page.
dense_source``). The real server (app.py's routes) answers over one keep-alive HTTP
connection; requests go round robin over the endpoints, ``--runs`` rounds after one
warm-up round. Per endpoint: median and 90th percentile in ms, and the median as a
ratio to the baseline, the JSON 404 of an unknown ``/api/v1`` path: the same handler
stack (identity, error envelope, JSON) with no work. The issue's target: the
5,000-point lightcurve under 100 ms.

Then, in this process on the same database, the lightcurve's JSON body built two ways
(median of ``--runs``): before, the frame path the endpoint used until 2026-12-07
(``lightcurve()`` DataFrame, the export frame, ``json.dumps`` of the rows), and now,
``lightcurve_columns`` (QA grades once per image) and ``json_body`` (orjson); with the
ratio and whether the bodies hold the same content (parsed, floats bit for bit), and
the CPU time of the query and of the JSON alone.

It measures, it does not assert.

With ``--postgresql [SERVER_URL]`` all of it is repeated on a PostgreSQL copy of the same
dataset (a new database ``bench_api_<pid>`` at the head revision, the demo's rows copied,
analysed; dropped at the end).

Run:  .venv/bin/python benchmarks/bench_api.py [--runs 30] [--epochs 5000] [--postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import start  # noqa: E402
from bench_source_page import dense_source  # noqa: E402

TARGET_MS = 100.0
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def timed(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, int]:
    start_s = time.perf_counter()
    conn.request("GET", path)
    answer = conn.getresponse()
    body = answer.read()
    return (time.perf_counter() - start_s) * 1000.0, answer.status, len(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=5000)
    parser.add_argument("--postgresql", metavar="SERVER_URL", nargs="?", const=PG_SERVER,
                        help="also measure a PostgreSQL copy of the same dataset, made "
                             f"as a new database on this server (default {PG_SERVER}) "
                             "and dropped afterwards")
    args = parser.parse_args(argv)
    from dsa110_dashboard.demo.build import build_demo

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data = Path(tmp) / "demo"
        print("building the demo dataset ...", flush=True)
        build_demo(data, days=2, size=256, seed=4)
        dense, _, _ = dense_source(data / "pipeline.sqlite3", args.epochs)
        targets = {"SQLite": str(data / "pipeline.sqlite3")}
        copy = None
        try:
            if args.postgresql:
                copy = postgresql_copy(data / "pipeline.sqlite3", args.postgresql)
                targets["PostgreSQL"] = copy
            for label, target in targets.items():
                print(f"\n=== {label}", flush=True)
                report(measure(target, data, Path(tmp), dense, args), args.epochs,
                       json_paths(target, dense, args.runs))
        finally:
            if copy is not None:
                drop_database(copy)
    return 0


def measure(target: str, data: Path, tmp: Path, dense: str,
            args: argparse.Namespace) -> dict[str, list[float]]:
    """Milliseconds per endpoint through the real server over ``target``."""
    server, url, _, _ = start({"DSA110_DASH_DB": target,
                               "DSA110_DASH_DATA_DIR": str(data),
                               "DSA110_DASH_CACHE_DIR": str(tmp / "cache"),
                               "DSA110_DASH_RATE_LIMIT_HEAVY": "0"})
    source = f"/api/v1/sources/{quote(dense, safe='')}"
    endpoints = {
        "baseline: unknown path (JSON 404)": "/api/v1/nothing",
        f"lightcurve, {args.epochs} points, JSON": f"{source}/lightcurve",
        f"lightcurve, {args.epochs} points, CSV": f"{source}/lightcurve?format=csv",
        "source variability": f"{source}/variability",
        "stats (cached counts)": "/api/v1/stats",
        "images, page of 50": "/api/v1/images?limit=50",
        "sources, page of 50": "/api/v1/sources?limit=50",
        "jobs, page of 50": "/api/v1/jobs?limit=50",
        "health": "/api/v1/health",
    }
    host = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    times: dict[str, list[float]] = {name: [] for name in endpoints}
    try:
        for round_ in range(args.runs + 1):
            for name, path in endpoints.items():
                ms, status, size = timed(conn, path)
                expected = 404 if name.startswith("baseline") else 200
                if status != expected:
                    raise SystemExit(f"{path}: {status}")
                if round_:
                    times[name].append(ms)
    finally:
        conn.close()
        server.stop()
    return times


def report(times: dict[str, list[float]], epochs: int, in_process: tuple) -> None:
    base = statistics.median(times["baseline: unknown path (JSON 404)"])
    print(f"{'endpoint':42} {'median ms':>10} {'p90 ms':>8} {'x baseline':>11}")
    for name, values in times.items():
        med = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{name:42} {med:10.1f} {p90:8.1f} {med / base:11.1f}")
    lc = statistics.median(times[f"lightcurve, {epochs} points, JSON"])
    print(f"\nlightcurve of {epochs} points (JSON): {lc:.1f} ms median; target "
          f"< {TARGET_MS:.0f} ms: {'met' if lc < TARGET_MS else 'NOT met'}")
    before, now, same, query_cpu, json_cpu = in_process
    print(f"in process, the JSON body of {epochs} points (query included), median ms: "
          f"before (frame path) {before:.1f}, now (columns) {now:.1f}, "
          f"ratio {before / now:.1f}x; same content: {same}; CPU ms now: query "
          f"{query_cpu:.1f}, JSON {json_cpu:.1f}; load average {os.getloadavg()[0]:.1f}")


def postgresql_copy(sqlite_path: Path, server_url: str) -> str:
    """A new PostgreSQL database at the head revision holding the SQLite file's rows
    (every table both have); its URL. Analysed, as a production database would be."""
    import sqlalchemy as sa

    from dsa110_dashboard.db import migrate
    from dsa110_dashboard.db.engine import Database
    from dsa110_dashboard.settings import Settings

    url = f"{server_url.rstrip('/')}/bench_api_{os.getpid()}"
    _admin(server_url, f'CREATE DATABASE "bench_api_{os.getpid()}"')
    target = Database(Settings.load(overrides={"db": url}))
    migrate.upgrade(target)
    target.dispose()
    source, copy = sa.create_engine(f"sqlite:///{sqlite_path}"), sa.create_engine(url)
    have, want = sa.MetaData(), sa.MetaData()
    have.reflect(source)
    want.reflect(copy)
    with source.connect() as read, copy.begin() as write:
        for table in have.sorted_tables:
            if table.name not in want.tables or table.name == "alembic_version":
                continue
            into = want.tables[table.name]
            names = [c.name for c in table.columns if c.name in into.c]
            rows = [dict(zip(names, row)) for row in
                    read.execute(sa.select(*(table.c[n] for n in names)))]
            write.execute(into.delete())  # rows the migration seeded
            for start_row in range(0, len(rows), 5000):
                write.execute(sa.insert(into), rows[start_row:start_row + 5000])
    with copy.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    source.dispose()
    copy.dispose()
    return url


def drop_database(url: str) -> None:
    server_url, name = url.rsplit("/", 1)
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server_url: str, sql: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"{server_url.rstrip('/')}/postgres",
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def json_paths(db_target: str, source_id: str,
               runs: int) -> tuple[float, float, bool, float, float]:
    """Median ms of the frame path (before) and the column path (now), whether their
    bodies hold the same content, and the median CPU ms of now's query and JSON."""
    import json
    import math

    import numpy as np
    import pandas as pd

    from dsa110_dashboard.api.lightcurves import (COLUMNS, export_frame, json_body,
                                                  source_meta, columns_for)
    from dsa110_dashboard.db.engine import Database
    from dsa110_dashboard.repositories.lightcurves import LightcurveRepository
    from dsa110_dashboard.repositories.sources import SourceRepository
    from dsa110_dashboard.settings import Settings

    db = Database(Settings.load(overrides={"db": db_target}))
    record = SourceRepository(db).get(source_id)
    repository = LightcurveRepository(db)
    meta = source_meta(record, "best")

    def cell(value):  # the old to_json's, per cell
        if value is None or value is pd.NA:
            return None
        if isinstance(value, (np.bool_, bool)):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return float(value) if math.isfinite(value) else None
        return value

    def before() -> bytes:
        frame = export_frame(repository.lightcurve(record))
        return json.dumps({
            "source": meta,
            "columns": [{"name": n, "unit": unit, "datatype": d, "ucd": ucd,
                         "description": desc} for n, unit, d, ucd, desc in columns_for("best")],
            "data": [[cell(v) for v in row] for row in
                     zip(*(frame[c[0]].astype(object).tolist() for c in COLUMNS))],
        }, allow_nan=False).encode()

    def now() -> bytes:
        return json_body(repository.lightcurve_columns(record), meta)

    def median_ms(build, clock=time.perf_counter):
        result = build()
        spent = []
        for _ in range(runs):
            start_s = clock()
            result = build()
            spent.append((clock() - start_s) * 1000.0)
        return statistics.median(spent), result

    (before_ms, old), (now_ms, new) = median_ms(before), median_ms(now)
    query_cpu, columns = median_ms(lambda: repository.lightcurve_columns(record),
                                   time.process_time)
    json_cpu, _ = median_ms(lambda: json_body(columns, meta), time.process_time)
    same = repr(json.loads(old)) == repr(json.loads(new))
    return before_ms, now_ms, same, query_cpu, json_cpu


if __name__ == "__main__":
    sys.exit(main())
