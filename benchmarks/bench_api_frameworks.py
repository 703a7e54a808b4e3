"""Tornado handlers beside Panel, or FastAPI beside it? A prototype measurement for
decision 0066: one JSON endpoint that does the same small piece of work (a query of
one row from a SQLite file, serialised to JSON), served

- by a Tornado ``RequestHandler`` in the process that serves Panel's pages (what the
  dashboard does), the work on a thread pool as ``ApiHandler.blocking`` does;
- by FastAPI under uvicorn (a sync endpoint, which FastAPI runs on its thread pool),

each answering sequential requests over one keep-alive connection, and ``--clients``
concurrent connections. Printed: median and 90th-percentile latency, and requests per
second under concurrency, with the ratio FastAPI / Tornado.

FastAPI and uvicorn are not dependencies of the dashboard: run this with an
interpreter that has them (``pip install fastapi uvicorn``) besides tornado.

It measures, it does not assert.

Run:  python benchmarks/bench_api_frameworks.py [--requests 2000] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

FASTAPI_APP = '''
import sqlite3, sys
from fastapi import FastAPI
app = FastAPI()
DB = sys.argv[1]

@app.get("/api/v1/thing/{thing_id}")
def thing(thing_id: int):
    with sqlite3.connect(DB) as conn:
        row = conn.execute("SELECT id, name, value FROM things WHERE id = ?",
                           (thing_id,)).fetchone()
    return {"id": row[0], "name": row[1], "value": row[2]}

if __name__ == "__main__":
    import uvicorn
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_db(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT, value REAL)")
        conn.executemany("INSERT INTO things VALUES (?, ?, ?)",
                         [(i, f"thing {i}", i * 0.5) for i in range(1000)])


def serve_tornado(db: Path, port: int) -> None:
    import tornado.ioloop
    import tornado.web

    pool = ThreadPoolExecutor(4)

    def read(thing_id: int) -> dict:
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT id, name, value FROM things WHERE id = ?",
                               (thing_id,)).fetchone()
        return {"id": row[0], "name": row[1], "value": row[2]}

    class Thing(tornado.web.RequestHandler):
        async def get(self, thing_id: str) -> None:
            body = await asyncio.get_running_loop().run_in_executor(pool, read,
                                                                    int(thing_id))
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(body))

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        tornado.web.Application([(r"/api/v1/thing/(\d+)", Thing)]).listen(
            port, "127.0.0.1")
        tornado.ioloop.IOLoop.current().start()

    threading.Thread(target=run, daemon=True).start()


def wait_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def sequential(port: int, n: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for i in range(n + 50):
        start = time.perf_counter()
        conn.request("GET", f"/api/v1/thing/{i % 1000}")
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 200, answer.status
        if i >= 50:  # warm-up
            times.append((time.perf_counter() - start) * 1000.0)
    conn.close()
    return times


def concurrent(port: int, n: int, clients: int) -> float:
    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(n // clients):
            conn.request("GET", f"/api/v1/thing/{(i * clients + k) % 1000}")
            conn.getresponse().read()
        conn.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise SystemExit("this prototype needs fastapi and uvicorn: pip install fastapi "
                         "uvicorn (they are not dashboard dependencies)") from None
    with tempfile.TemporaryDirectory(prefix="bench-frameworks-") as tmp:
        db = Path(tmp) / "things.sqlite3"
        make_db(db)
        app = Path(tmp) / "fast.py"
        app.write_text(FASTAPI_APP)
        t_port, f_port = free_port(), free_port()
        serve_tornado(db, t_port)
        fast = subprocess.Popen([sys.executable, str(app), str(db), str(f_port)])
        try:
            wait_up(t_port)
            wait_up(f_port)
            results = {}
            for name, port in (("tornado", t_port), ("fastapi", f_port)):
                seq = sequential(port, args.requests)
                results[name] = (statistics.median(seq),
                                 statistics.quantiles(seq, n=10)[-1],
                                 concurrent(port, args.requests, args.clients))
        finally:
            fast.terminate()
            fast.wait(10)
    print(f"\n{'server':10} {'median ms':>10} {'p90 ms':>8} "
          f"{'req/s (' + str(args.clients) + ' clients)':>22}")
    for name, (med, p90, rps) in results.items():
        print(f"{name:10} {med:10.2f} {p90:8.2f} {rps:22.0f}")
    t, f = results["tornado"], results["fastapi"]
    print(f"\nfastapi / tornado: median latency x{f[0] / t[0]:.2f}, "
          f"throughput x{f[2] / t[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
