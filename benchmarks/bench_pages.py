"""Time from navigation until Bokeh reports the document idle, per page, beside an empty page.

For each dataset (the demo dataset, built in a temporary directory with
``build_demo(days=3, size=512)``; and a one-year-scale database when one is found or
given) the benchmark builds the real server from app.py's own pieces
(``load_app(...).routes(ctx)``, ``server_options``, ``configure_panel``), adds an
``/empty`` route (one Markdown pane) to the same server, and drives headless Debian
Chromium through Playwright. Every path in ``app.PAGES`` is measured (a path parameter
such as ``{image_id}`` becomes the latest image's id): the median over ``--runs`` loads,
after one warm-up load, of the time from ``page.goto`` until
``Bokeh.documents[0].is_idle``, and the ratio to the empty page (target: <= 2x).
Pages that fill themselves after load (``pn.state.onload``) also get a "content" time:
until a selector that only appears with the data is visible (see ``CONTENT``).
If an ``/images`` page exists, the time of a table page change (click on its "next
page" control until the first row changes) is printed too.

It measures, it does not assert.

Run:
  python benchmarks/bench_pages.py                      # demo + one-year DB if present
  python benchmarks/bench_pages.py --scale-db PATH      # another scale database
  python benchmarks/bench_pages.py --small              # build a small scale DB instead
Options: --runs N (default 5), --no-demo, --chromium PATH.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SCALE_DB = HERE / ".data" / "scale_120000_20000_1000_s0.sqlite3"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
IDLE_JS = "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle"
#: A selector per page path that appears only once the page's data has arrived.
CONTENT = {"/": ".ov-stat", "/ms": ".dsa-ms-table a.dsa-ms-link"}
TARGET_RATIO = 2.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------ datasets
def demo_dataset(tmp: Path) -> tuple[str, dict[str, str]]:
    from dsa110_dashboard.demo.build import build_demo

    out = tmp / "demo"
    log("building the demo dataset (days=3, size=512) ...")
    build_demo(out, days=3, size=512, seed=3)
    return "demo 3 days", {"DSA110_DASH_DB": str(out / "pipeline.sqlite3"),
                             "DSA110_DASH_DATA_DIR": str(out),
                             "CONTIMG_LOGS_DIR": str(out / "logs"),
                             "DSA110_DASH_CACHE_DIR": str(tmp / "cache-demo")}


def small_scale_db(tmp: Path) -> Path:
    from dsa110_dashboard.db.engine import Database
    from dsa110_dashboard.scale import SMALL, fill_database
    from dsa110_dashboard.settings import Settings

    path = tmp / "scale_small.sqlite3"
    images, sources, epochs = SMALL
    log(f"building a small scale database ({images} images) ...")
    db = Database(Settings.load(environ={"DSA110_DASH_DB": str(path),
                                         "DSA110_DASH_READ_ONLY": "false"}))
    try:
        fill_database(db, images=images, sources=sources, epochs=epochs)
    finally:
        db.dispose()
    return path


def scale_dataset(path: Path, tmp: Path) -> tuple[str, dict[str, str]]:
    return f"scale:{path.stem.removeprefix('scale_')}", {
        "DSA110_DASH_DB": str(path), "DSA110_DASH_READ_ONLY": "true",
        "DSA110_DASH_DATA_DIR": str(tmp / "data-scale"),
        "DSA110_DASH_CACHE_DIR": str(tmp / "cache-scale")}


# -------------------------------------------------------------------- server
_configured = False


def start(env: dict[str, str]):
    """The app's routes plus /empty on one threaded server; (server, url, app, ctx)."""
    import panel as pn

    from dsa110_dashboard.cli.serve_cmd import load_app
    from dsa110_dashboard.context import AppContext
    from dsa110_dashboard.settings import Settings

    port = free_port()
    settings = Settings.load(environ={**env, "DSA110_DASH_PORT": str(port),
                                      "DSA110_DASH_ADDRESS": "127.0.0.1"})
    app = load_app(ROOT / "app.py")
    ctx = AppContext.from_settings(settings)
    global _configured
    if not _configured:  # process-wide Panel configuration: once per process
        app.configure_panel(settings)
        _configured = True
    routes = dict(app.routes(ctx))

    def empty_page():
        # In a Column, as every real page's root is: Panel adds the 1.8 MB MathJax bundle
        # to a page whose root is itself a Markdown pane, and to no real page.
        return pn.Column(pn.pane.Markdown("# Empty page"))

    routes["/empty"] = empty_page
    options = app.server_options(settings, ctx)
    options["title"] = {**options["title"], "/empty": "Empty page"}
    server = pn.serve(routes, show=False, start=True, threaded=True, **options)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if not server.is_alive():
            raise RuntimeError("the server thread died while starting; see the log")
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.2)
    return server, url, app, ctx


def page_paths(app, ctx) -> list[str]:
    """Every page path, with path parameters replaced: ``{source_id}`` (or any
    ``{source...}``) by a source with photometry statistics, ``{path}`` by the latest
    image's measurement set (URL-encoded), any other by the latest image's id."""
    from urllib.parse import quote

    import sqlalchemy as sa

    from dsa110_dashboard.repositories.images import ImageRepository

    def latest_image() -> str:
        record = ImageRepository(ctx.db).latest()
        return str(record.id if record else 1)

    def a_source() -> str:
        table = ctx.db.catalog["variability_stats"]
        with ctx.db.connect() as conn:
            name = conn.execute(sa.select(table["source_id"]).select_from(table.table)
                                .order_by(table["n_obs"].desc()).limit(1)).scalar()
        return quote(name or "unknown", safe="")

    def an_ms() -> str:
        record = ImageRepository(ctx.db).latest()
        return quote(record.ms_path if record else "unknown.ms", safe="")

    values: dict[str, str] = {}
    makers = {"source": a_source, "path": an_ms, "image": latest_image}

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        key = "source" if name.startswith("source") else ("path" if name == "path"
                                                           else "image")
        if key not in values:
            values[key] = makers[key]()
        return values[key]

    return [re.sub(r"\{([^}]+)\}", substitute, page.path) for page in app.PAGES]


# -------------------------------------------------------------- measurements
def load_times(browser, url: str, runs: int, content: str | None) -> tuple[list, list]:
    idle, filled = [], []
    for run in range(runs + 1):  # the first is a warm-up
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        try:
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function(IDLE_JS, timeout=60_000, polling=10)
            t_idle = time.perf_counter() - start
            t_content = None
            if content:
                page.locator(content).first.wait_for(timeout=60_000)
                t_content = time.perf_counter() - start
        finally:
            page.close()
        if run:
            idle.append(t_idle * 1000)
            if t_content is not None:
                filled.append(t_content * 1000)
    return idle, filled


NEXT_CONTROLS = ('.tabulator-page[data-page="next"]', 'button:has-text("Next")',
                 '[aria-label*="next" i]', 'button:has-text("›")')


def page_change_times(browser, url: str, runs: int) -> list[float] | str:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(url)
        page.wait_for_function(IDLE_JS, timeout=60_000)
        control = None
        for selector in NEXT_CONTROLS:
            candidate = page.locator(selector).first
            try:
                candidate.wait_for(timeout=3_000)
            except Exception:  # noqa: BLE001 - not this kind of control
                continue
            control = candidate
            break
        if control is None:
            return "no 'next page' control found"
        rows = page.locator(".tabulator-row, tbody tr")
        times = []
        for _ in range(runs):
            deadline = time.monotonic() + 20
            while not control.is_enabled():  # disabled while a page loads, or at the end
                if time.monotonic() > deadline:
                    if times:  # the last page: report the changes measured
                        return times
                    return "the 'next page' control stays disabled (one page of images?)"
                time.sleep(0.05)
            before = rows.first.inner_text(timeout=20_000)
            start = time.perf_counter()
            control.click()
            deadline = start + 30
            while rows.first.inner_text(timeout=20_000) == before:
                if time.perf_counter() > deadline:
                    return "the first row did not change after 'next page'"
                time.sleep(0.005)
            page.wait_for_function(IDLE_JS, timeout=30_000, polling=10)
            times.append((time.perf_counter() - start) * 1000)
        return times
    finally:
        page.close()


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f}" if values else "       -"


def bench_dataset(name: str, env: dict[str, str], runs: int, chromium: str) -> list[str]:
    from playwright.sync_api import sync_playwright

    server, url, app, ctx = start(env)
    lines = []
    try:
        paths = page_paths(app, ctx)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
            try:
                log(f"[{name}] /empty ...")
                empty, _ = load_times(browser, url + "/empty", runs, None)
                empty_ms = statistics.median(empty)
                lines.append(f"{name:<28} {'/empty':<40} {fmt(empty)} {empty_ms:8.0f} "
                             f"{1.0:6.2f}x {'':>8}")
                for path in paths:
                    log(f"[{name}] {path} ...")
                    content = CONTENT.get(path)
                    idle, filled = load_times(browser, url + path, runs, content)
                    ratio = statistics.median(idle) / empty_ms
                    flag = "" if ratio <= TARGET_RATIO else "  over target"
                    lines.append(f"{name:<28} {path:<40} {fmt(idle)} {empty_ms:8.0f} "
                                 f"{ratio:6.2f}x {fmt(filled)}{flag}")
                if "/images" in paths:
                    log(f"[{name}] /images page change ...")
                    try:
                        result = page_change_times(browser, url + "/images", runs)
                    except Exception as exc:  # noqa: BLE001 - report, keep the table
                        result = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                    if isinstance(result, str):
                        lines.append(f"{name:<28} /images page change: skipped ({result})")
                    else:
                        lines.append(f"{name:<28} {'/images next page':<40} {fmt(result)}"
                                     f" (click until the first row changes and idle)")
                else:
                    lines.append(f"{name:<28} /images page change: skipped (no /images "
                                 "page in app.PAGES yet)")
            finally:
                browser.close()
    finally:
        server.stop()
        ctx.db.dispose()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale-db", type=Path, default=None,
                        help=f"one-year scale SQLite database (default {DEFAULT_SCALE_DB} "
                             "when it exists)")
    parser.add_argument("--small", action="store_true",
                        help="build a small scale database instead of using a big one")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo dataset")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)

    import logging
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp_name:
        tmp = Path(tmp_name)
        datasets: list[tuple[str, Callable[[], tuple[str, dict[str, str]]]]] = []
        if not args.no_demo:
            datasets.append(("demo", lambda: demo_dataset(tmp)))
        if args.small:
            datasets.append(("small", lambda: scale_dataset(small_scale_db(tmp), tmp)))
        else:
            scale = args.scale_db or (DEFAULT_SCALE_DB if DEFAULT_SCALE_DB.exists() else None)
            if scale is not None:
                if not scale.exists():
                    parser.error(f"--scale-db {scale} does not exist")
                datasets.append(("scale", lambda: scale_dataset(scale, tmp)))
            else:
                log(f"no scale database at {DEFAULT_SCALE_DB}: pass --scale-db PATH or "
                    "--small to build one")
        lines = []
        for _, make in datasets:
            name, env = make()
            lines += bench_dataset(name, env, args.runs, args.chromium)

    print(f"\nTime from navigation to Bokeh idle, median of {args.runs} runs (ms); "
          f"target: <= {TARGET_RATIO:.0f}x the empty page. 'content': until the page's "
          "data is on screen (pages filled after load).")
    print(f"{'dataset':<28} {'page':<40} {'idle ms':>8} {'empty ms':>8} {'ratio':>7} "
          f"{'content':>8}")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
