"""Time from navigation until each page's data is on screen, beside an empty page.

For each dataset (the demo dataset, built in a temporary directory with
``build_demo(days=3, size=512)``; one-year-scale databases on SQLite and PostgreSQL when
found, given or asked for) the benchmark builds the real server from app.py's own pieces
(``load_app(...).routes(ctx)``, ``server_options``, ``configure_panel``), adds an
``/empty`` route (one Markdown pane in a Column) to the same server, and drives headless
Debian Chromium through Playwright. Every path in ``app.PAGES`` is measured (a path
parameter such as ``{image_id}`` becomes the latest image's id; /qa and /calibration,
whose default time is now, are opened at the latest image: ``at_latest_image``). Loads
go round robin (the empty page, then every page, ``--runs`` times after one warm-up
round), so a change in the machine's load hits every page alike. Per page, the median of:

- idle: from ``page.goto`` until ``Bokeh.documents[0].is_idle`` (the first render);
- content: from ``page.goto`` until the page's data is on screen (``CONTENT``): its
  table rows are in the page, its plots hold their data and have painted it (no paint
  pending), its image view has drawn its image; and the document is idle.

Both as ratios to the empty page's idle time (target: content <= 2x). If an
``/images`` page exists, the time of a table page change (click on its "next page"
control until the first row changes) is printed too.

It measures, it does not assert.

Run:
  python benchmarks/bench_pages.py                      # demo + one-year SQLite if present
  python benchmarks/bench_pages.py --no-demo --backend sqlite,postgresql
                                                        # one year on both backends (built
                                                        # once, as bench_queries does)
  python benchmarks/bench_pages.py --db FILE_OR_URL     # any scale database (read-only)
  python benchmarks/bench_pages.py --small              # build a small scale DB instead
Options: --runs N (default 5), --no-demo, --pg-url, --data-dir, --chromium PATH,
--pages /qa,/sources (only those pages, beside the empty one), --profile (a JavaScript
CPU profile of each measured load, top functions per page: js_profile.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import js_profile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SCALE_DB = HERE / ".data" / "scale_120000_20000_1000_s0.sqlite3"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
IDLE_JS = "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle"
TARGET_RATIO = 2.0


@dataclass(frozen=True)
class Content:
    """What a page shows once its data is on screen: for each (host class, selector)
    an element matching ``selector`` in the shadow root of a view whose element has
    the host class ('' for any view); and ``figures`` Bokeh figures holding data."""

    elements: tuple[tuple[str, str], ...] = ()
    figures: int = 0


#: Per page path (as in app.PAGES). The overview's two plots (images per hour, sky map)
#: are built with their first data; the image page's viewer only when its file exists
#: (``image_figures``): a scale database has no FITS files.
CONTENT = {
    "/": Content(elements=(("", ".ov-stat"),), figures=2),
    "/images": Content(elements=(("dsa-images-table", ".tabulator-row"),)),
    "/images/{image_id}": Content(elements=(("dsa-catalogue-note", ".dsa-note"),)),
    "/sources": Content(elements=(("dsa-search-table", "table.dsa-jobs td"),), figures=1),
    "/sources/{source_id}": Content(figures=1),
    "/jobs": Content(elements=(("dsa-jobs-table", "table.dsa-jobs a.dsa-job-link"),)),
    "/jobs/{run_id}": Content(elements=(("dsa-job-summary", "table.dsa-kv td"),)),
    "/ms/{path}": Content(elements=(("dsa-ms-detail", "table.dsa-kv td"),)),
    "/health": Content(elements=(("dsa-health-checks", "tr[data-check]"),)),
    # The wall's tiles are written once its first snapshot is read (views/wall/render).
    "/wall": Content(elements=(("", "[data-tile=throughput]"),)),
    "/calibration": Content(elements=(("dsa-cal-apply", "table.dsa-cal-apply td"),),
                            figures=1),
    # The table's links (in its pane's shadow root; the class is on the host) and the
    # funnel-over-time plot.
    "/ms": Content(elements=(("dsa-ms-table", "a.dsa-ms-link"),), figures=1),
    # The QA trends: the nights' table and the plots of the section open by default,
    # image quality (noise and dynamic range, and the flux scale and astrometry where
    # the qa batch measured them, as on the demo); the beam's and the calibration's
    # sections are built when opened (decision 0072).
    "/qa": Content(elements=(("dsa-qa-lists", "table.dsa-qa-nights td"),), figures=2),
}

#: True once the document is idle, every element of the spec is in the page and at
#: least ``figures`` figures have a glyph with data and nothing left to paint (a data
#: change invalidates the figure's painters at once; its next paint clears them).
CONTENT_JS = """
([elements, figures]) => {
  if (!(window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle)) return false;
  const views = [];
  const walk = (v, d) => {
    if (d > 80 || !v) return;
    views.push(v);
    for (const c of (v.child_views ?? [])) walk(c, d + 1);
  };
  for (const v of Object.values(Bokeh.index)) walk(v, 0);
  for (const [host, selector] of elements) {
    const found = views.some((v) => {
      if (!v.el || (host && !v.el.classList.contains(host))) return false;
      const root = v.shadow_el ?? v.el.shadowRoot;
      return root != null && root.querySelector(selector) != null;
    });
    if (!found) return false;
  }
  let drawn = 0;
  for (const v of views) {
    const m = v.model;
    if (!m || !(m.type === 'Figure' || m.type === 'Plot')) continue;
    const data = m.renderers.some((r) => r.data_source != null
                                         && (r.data_source.get_length() ?? 0) > 0);
    const painted = !v._invalidate_all && (v._invalidated_painters?.size ?? 0) === 0
                    && v.has_finished();
    if (data && painted) drawn += 1;
  }
  return drawn >= figures;
}
"""


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


def scale_dataset(target: str, tmp: Path, label: str | None = None
                  ) -> tuple[str, dict[str, str]]:
    """A scale database (a SQLite file or a PostgreSQL URL), served read-only."""
    if label is None:
        label = ("postgresql:" + target.rsplit("/", 1)[-1] if "://" in target
                 else "sqlite:" + Path(target).stem.removeprefix("scale_"))
    slot = label.replace(":", "-").replace("/", "-")
    return label, {"DSA110_DASH_DB": target, "DSA110_DASH_READ_ONLY": "true",
                   "DSA110_DASH_DATA_DIR": str(tmp / f"data-{slot}"),
                   "DSA110_DASH_CACHE_DIR": str(tmp / f"cache-{slot}")}


def one_year(backend: str, data_dir: Path, pg_url: str) -> str:
    """The one-year database of ``bench_queries`` on ``backend``, built when missing or
    incomplete (minutes); returns its target."""
    from bench_queries import pg_database, sqlite_database

    from dsa110_dashboard.scale import ONE_YEAR

    if backend == "sqlite":
        db = sqlite_database(data_dir.resolve(), ONE_YEAR, 0, False)
    elif backend == "postgresql":
        db = pg_database(pg_url, ONE_YEAR, 0, False)
    else:
        raise ValueError(f"--backend: unknown backend {backend!r} (sqlite, postgresql)")
    try:
        target = db.target
        return (str(target.sqlite_path) if target.sqlite_path is not None
                else target.url.render_as_string(hide_password=False))
    finally:
        db.dispose()


# -------------------------------------------------------------------- server
_configured = False


def start(env: dict[str, str]):
    """The app's routes plus /empty on one threaded server; (server, url, app, ctx)."""
    import panel as pn

    from dsa110_dashboard.cli.serve_cmd import load_app
    from dsa110_dashboard.settings import Settings

    port = free_port()
    settings = Settings.load(environ={**env, "DSA110_DASH_PORT": str(port),
                                      "DSA110_DASH_ADDRESS": "127.0.0.1"})
    app = load_app(ROOT / "app.py")
    ctx = app.build_context(settings)  # the server's own context (health checks, sign-in)
    ctx.health.start()
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


@contextlib.contextmanager
def served(env: dict[str, str]):
    """``start``'s server while the block runs: (url, app, ctx); stopped after."""
    server, url, app, ctx = start(env)
    try:
        yield url, app, ctx
    finally:
        server.stop()
        ctx.health.stop()
        ctx.db.dispose()


def page_paths(app, ctx) -> list[tuple[str, str, Content]]:
    """Every page as (pattern, path, content spec), with path parameters replaced:
    ``{source_id}`` (or any ``{source...}``) by the source with the most epochs, any
    other by the latest image's id."""
    from urllib.parse import quote

    import sqlalchemy as sa

    from dsa110_dashboard.repositories.images import ImageRepository

    latest = ImageRepository(ctx.db).latest()

    def a_source() -> str:
        table = ctx.db.catalog["variability_stats"]
        with ctx.db.connect() as conn:
            name = conn.execute(sa.select(table["source_id"]).select_from(table.table)
                                .order_by(table["n_obs"].desc()).limit(1)).scalar()
        return quote(name or "unknown", safe="")

    def an_ms() -> str:
        return quote(latest.ms_path if latest else "unknown.ms", safe="")

    def latest_image() -> str:
        return str(latest.id if latest else 1)

    values: dict[str, str] = {}
    makers = {"source": a_source, "path": an_ms, "image": latest_image}

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        key = "source" if name.startswith("source") else ("path" if name == "path"
                                                           else "image")
        if key not in values:
            values[key] = makers[key]()
        return values[key]

    pages = []
    for page in app.PAGES:
        content = CONTENT.get(page.path, Content())
        if page.path.startswith("/images/{") and latest is not None \
                and Path(latest.path).is_file():
            content = replace(content, figures=1)  # the viewer, drawn with its image
        pages.append((page.path, re.sub(r"\{([^}]+)\}", substitute, page.path), content))
    anchored = at_latest_image(latest, pages)
    return [p for p in pages if p[0] not in anchored] + [
        entry for entries in anchored.values() for entry in entries]


def at_latest_image(latest, pages) -> dict[str, list[tuple[str, str, Content]]]:
    """The pages whose default time is now, measured at the latest image instead: a
    scale database's images end when it was made, so these would draw nothing.
    /qa over the 7 and the 30 days ending there; /calibration's apply-list and
    timeline at that time (by default now, when every table of a stopped database
    has expired)."""
    from dsa110_dashboard.science.times import unix_to_mjd

    if latest is None:
        return {}
    end = unix_to_mjd(float(latest.created_at))
    ranges = {"/qa": (f"?to={end:.5f}", f"?from={end - 30:.5f}&to={end:.5f}"),
              "/calibration": (f"?at={end:.5f}",)}
    return {pattern: [(pattern, path + query, content) for query in ranges[pattern]]
            for pattern, path, content in pages if pattern in ranges}


# -------------------------------------------------------------- measurements
def load_time(browser, url: str, content: Content,
              profiles: list[dict] | None = None) -> tuple[float, float]:
    """One load: (ms until Bokeh idle, ms until the page's data is on screen). With
    ``profiles``, the load's JavaScript CPU profile is appended to it."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        cdp = js_profile.start(page) if profiles is not None else None
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_function(IDLE_JS, timeout=60_000, polling=10)
        t_idle = time.perf_counter() - start
        page.wait_for_function(CONTENT_JS, arg=[[list(e) for e in content.elements],
                                                content.figures],
                               timeout=60_000, polling=10)
        t_content = time.perf_counter() - start
        if cdp is not None:
            profiles.append(js_profile.stop(cdp))
    finally:
        page.close()
    return t_idle * 1000, t_content * 1000


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


def bench_dataset(name: str, env: dict[str, str], runs: int, chromium: str,
                  only: tuple[str, ...] = (), profile: bool = False) -> list[str]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    lines = []
    with served(env) as (url, app, ctx):
        pages = [("/empty", "/empty", Content()),
                 *(p for p in page_paths(app, ctx) if not only or p[0] in only)]
        idle: dict[str, list[float]] = {path: [] for _, path, _ in pages}
        shown: dict[str, list[float]] = {path: [] for _, path, _ in pages}
        lost: dict[str, int] = {}
        profiles: dict[str, list[dict]] = {path: [] for _, path, _ in pages}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
            try:
                for run in range(runs + 1):  # the first round is a warm-up
                    log(f"[{name}] round {run}/{runs} ...")
                    for _, path, content in pages:
                        try:
                            t_idle, t_content = load_time(
                                browser, url + path, content,
                                profiles[path] if profile and run else None)
                        except PlaywrightTimeout:
                            # Counted as lost (listed), not timed: one slow load must not
                            # cost the figures of every other page.
                            log(f"[{name}] {path}: not on screen within 60 s (lost)")
                            lost[path] = lost.get(path, 0) + 1
                            continue
                        if run:
                            idle[path].append(t_idle)
                            shown[path].append(t_content)
                empty_ms = statistics.median(idle["/empty"])
                for _, path, _ in pages:
                    if not shown[path]:
                        lines.append(f"{name:<24} {path:<36} never on screen within 60 s")
                        continue
                    idle_ratio = statistics.median(idle[path]) / empty_ms
                    shown_ratio = statistics.median(shown[path]) / empty_ms
                    flag = "" if shown_ratio <= TARGET_RATIO else "  over target"
                    if lost.get(path):
                        flag += f"  ({lost[path]} lost)"
                    spread = f"{min(shown[path]):.0f}-{max(shown[path]):.0f}"
                    lines.append(f"{name:<24} {path:<36} {fmt(idle[path])} {idle_ratio:6.2f}x "
                                 f"{fmt(shown[path])} {shown_ratio:6.2f}x {spread:>11}{flag}")
                    if profile:
                        lines += js_profile.report(profiles[path])
                if "/images" in idle:
                    log(f"[{name}] /images page change ...")
                    try:
                        result = page_change_times(browser, url + "/images", runs)
                    except Exception as exc:  # noqa: BLE001 - report, keep the table
                        result = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                    if isinstance(result, str):
                        lines.append(f"{name:<24} /images page change: skipped ({result})")
                    else:
                        lines.append(f"{name:<24} {'/images next page':<36} {fmt(result)}"
                                     f" (click until the first row changes and idle)")
            finally:
                browser.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", "--scale-db", dest="db", action="append", default=[],
                        metavar="FILE_OR_URL",
                        help="a scale database: SQLite file or PostgreSQL URL (repeatable; "
                             f"default {DEFAULT_SCALE_DB} when it exists and no --backend)")
    parser.add_argument("--backend", default="",
                        help="one-year databases to measure (and build when missing, as "
                             "bench_queries does): sqlite, postgresql or both, comma-separated")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("DSA110_BENCH_DIR", HERE / ".data")))
    parser.add_argument("--pg-url", default=os.environ.get(
        "DSA110_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/dsa110_bench"))
    parser.add_argument("--small", action="store_true",
                        help="build a small scale database instead of using a big one")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo dataset")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--profile", action="store_true",
                        help="profile the browser's JavaScript during each measured load "
                             "and print the top functions per page (js_profile.py); the "
                             "scripts are served unminified and the profiler costs time, "
                             "so the times are longer than without")
    parser.add_argument("--pages", default="",
                        help="only these paths of app.PAGES, comma-separated (as written "
                             "there, e.g. /qa,/images/{image_id}); the empty page always")
    args = parser.parse_args(argv)
    only = tuple(p.strip() for p in args.pages.split(",") if p.strip())
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    for backend in backends:
        if backend not in ("sqlite", "postgresql"):
            parser.error(f"--backend: unknown backend {backend!r} (sqlite, postgresql)")
    for target in args.db:
        if "://" not in target and not Path(target).exists():
            parser.error(f"--db {target} does not exist")

    if args.profile:  # readable function names in the profile (Bokeh's and Panel's)
        os.environ["BOKEH_MINIFIED"] = "false"
    import logging
    logging.basicConfig(level=logging.WARNING)
    sys.path.insert(0, str(HERE))  # bench_queries builds the one-year databases

    with tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp_name:
        tmp = Path(tmp_name)
        datasets: list[Callable[[], tuple[str, dict[str, str]]]] = []
        if not args.no_demo:
            datasets.append(lambda: demo_dataset(tmp))
        if args.small:
            datasets.append(lambda: scale_dataset(str(small_scale_db(tmp)), tmp, "small"))
        targets = list(args.db)
        if not targets and not backends and not args.small and DEFAULT_SCALE_DB.exists():
            targets.append(str(DEFAULT_SCALE_DB))
        for target in targets:
            datasets.append(lambda target=target: scale_dataset(target, tmp))
        for backend in backends:
            datasets.append(lambda backend=backend: scale_dataset(
                one_year(backend, args.data_dir, args.pg_url), tmp, f"{backend}:one-year"))
        lines = []
        for make in datasets:
            name, env = make()
            lines += bench_dataset(name, env, args.runs, args.chromium, only, args.profile)

    print(f"\nMedian of {args.runs} round-robin loads (ms) from navigation until Bokeh is "
          "idle and until the page's data is on screen, with their ratios to the empty "
          f"page's idle time; target: content <= {TARGET_RATIO:.0f}x.")
    print(f"{'dataset':<24} {'page':<36} {'idle ms':>8} {'ratio':>7} {'content':>8} "
          f"{'ratio':>7} {'range':>11}")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
