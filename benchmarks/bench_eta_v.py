"""The eta-V plot on /sources at many sources: time to the plot painted, hover, zoom.

Serves a scale database (``dsa110-dash scale-db --sources 100000 --epochs 20`` makes the
100,000-source one) read-only with the server of ``bench_pages`` (app.py's own pieces
plus an empty page) and drives headless Debian Chromium at 1920x1080. Per round, after
one warm-up round:

- empty: navigation until the empty page is idle (the baseline);
- painted: navigation until the eta-V figure has painted the bulk image it keeps for
  its frame's size (the final image: a first guessed-size one too far from the frame's
  size is redrawn, decision 0080) and its candidates;
- hover: the pointer moved onto a source (a different one each time, inside the
  frame) until its ring is drawn (the server picks the nearest source, decision 0035);
- zoom: one wheel step over the plot until the bulk image for the new view has been
  painted (the server recomputes it for the visible region).

Prints medians and ranges; painted as a ratio to the empty page. It measures, it does
not assert.

Run:
  python benchmarks/bench_eta_v.py --db benchmarks/.data/eta_v_100k.sqlite3 [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_pages import CHROMIUM, IDLE_JS, LAUNCH_ARGS, log, scale_dataset, served  # noqa: E402

from dsa110_dashboard.views.raster_size import RESAMPLE_FACTOR  # noqa: E402

_FIGURE = """
  const figures = [];
  const walk = (v, d) => {
    if (d > 60 || !v) return;
    if (v.model && (v.model.type === 'Figure' || v.model.type === 'Plot')) figures.push(v);
    for (const c of (v.child_views ?? [])) walk(c, d + 1);
  };
  if (!(window.Bokeh && Bokeh.documents.length > 0)) return null;
  for (const v of Object.values(Bokeh.index)) walk(v, 0);
  const f = figures[0];
  if (!f) return null;
  const image = f.model.renderers.find(r => r.glyph && r.glyph.type === 'Image');
  const painted = !f._invalidate_all && (f._invalidated_painters?.size ?? 0) === 0
                  && f.has_finished();
"""

#: The figure has painted the bulk image it keeps for its frame's size (the server
#: redraws the first, guessed-size image when the frame's reported size is beyond
#: ``RESAMPLE_FACTOR`` of it; before decision 0080 it always did, and this waited for
#: the image of exactly the frame's size): the image's place (x0, dw) and whether the
#: hover ring holds a point.
STATE_JS = "() => {" + _FIGURE + f"""
  const factor = {RESAMPLE_FACTOR};
""" + """
  if (!image || !painted) return null;
  const d = image.data_source.data;
  if (!d.image.length) return null;
  const [rows, cols] = d.image[0].shape;
  const b = f.frame.bbox;
  const fits = (px, frame) => frame / px >= 1 / factor && frame / px <= factor;
  if (!fits(cols, b.width) || !fits(rows, b.height)) return null;
  // The hover ring is the figure's last glyph renderer (views.eta_v._build_plot).
  const glyphs = f.model.renderers.filter(r => r.data_source != null);
  const ring = glyphs[glyphs.length - 1].data_source.get_length() ?? 0;
  return {x0: d.x[0], dw: d.dw[0], ring, idle: Bokeh.documents[0].is_idle};
}"""

#: Page coordinates of data points (log eta, log V) and the frame's box.
PLACES_JS = "([xs, ys]) => {" + _FIGURE + """
  f.el.scrollIntoView({block: 'center'});
  const r = f.el.getBoundingClientRect();
  const b = f.frame.bbox;
  return {frame: [r.left + b.left, r.top + b.top, r.left + b.right, r.top + b.bottom],
          x: xs.map(x => r.left + f.frame.x_scale.compute(x)),
          y: ys.map(y => r.top + f.frame.y_scale.compute(y))};
}"""


def wait_state(page, predicate: str, timeout_ms: float = 60_000) -> dict:
    return page.wait_for_function(f"() => {{ const s = ({STATE_JS})(); "
                                  f"return s && ({predicate}) ? s : null; }}",
                                  timeout=timeout_ms, polling=10).json_value()


def sources_sample(db_target: str, n: int, seed: int = 1):
    """``n`` random plottable (log eta, log V) points and how many sources are plotted."""
    import numpy as np

    from dsa110_dashboard.db.engine import Database
    from dsa110_dashboard.settings import Settings
    from dsa110_dashboard.viewmodels.eta_v import EtaVModel

    db = Database(Settings.load(environ={"DSA110_DASH_DB": db_target,
                                         "DSA110_DASH_READ_ONLY": "true"}))
    try:
        model = EtaVModel(db)
        model.refresh()
        pts = model.bulk
        pick = np.random.default_rng(seed).choice(len(pts), size=n, replace=False)
        return pts.iloc[pick][["log_eta", "log_v"]].to_numpy(), len(model.points)
    finally:
        db.dispose()


class Lost(Exception):
    """A step of a round that did not finish within 60 s."""


def one_round(browser, url: str, points, hovers: int, zooms: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"empty": [], "painted": [], "hover": [], "zoom": []}
    try:
        _steps(browser, url, points, hovers, zooms, out)
    except Exception as exc:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        if isinstance(exc, PlaywrightTimeout):
            done = ", ".join(f"{k} {len(v)}" for k, v in out.items())
            raise Lost(f"timed out after {done}") from exc
        raise
    return out


def _steps(browser, url, points, hovers, zooms, out) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        t0 = time.perf_counter()
        page.goto(url + "/empty")
        page.wait_for_function(IDLE_JS, timeout=60_000, polling=10)
        out["empty"].append((time.perf_counter() - t0) * 1000)

        t0 = time.perf_counter()
        page.goto(url + "/sources")
        wait_state(page, "s.idle")
        out["painted"].append((time.perf_counter() - t0) * 1000)

        places = page.evaluate(PLACES_JS, [list(points[:, 0]), list(points[:, 1])])
        left, top, right, bottom = places["frame"]
        inside = [(x, y) for x, y in zip(places["x"], places["y"])
                  if left + 5 < x < right - 5 and top + 5 < y < bottom - 5]
        for x, y in inside[:hovers]:
            page.mouse.move(2, 2)  # off the figure (the page's corner): the ring goes
            wait_state(page, "s.ring === 0")
            t0 = time.perf_counter()
            page.mouse.move(x, y)
            wait_state(page, "s.ring > 0")
            out["hover"].append((time.perf_counter() - t0) * 1000)

        cx, cy = (left + right) / 2, (top + bottom) / 2
        for i in range(zooms):
            page.mouse.move(cx, cy)
            before = wait_state(page, "s.idle")
            t0 = time.perf_counter()
            page.mouse.wheel(0, -120 if i % 2 == 0 else 120)
            wait_state(page, f"s.idle && (s.x0 !== {before['x0']} || s.dw !== {before['dw']})")
            out["zoom"].append((time.perf_counter() - t0) * 1000)
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, metavar="FILE_OR_URL",
                        help="a scale database: SQLite file or PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hovers", type=int, default=5, help="hover moves per round")
    parser.add_argument("--zooms", type=int, default=4, help="wheel steps per round")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    if "://" not in args.db and not Path(args.db).exists():
        parser.error(f"--db {args.db} does not exist")

    import logging
    logging.basicConfig(level=logging.WARNING)
    from playwright.sync_api import sync_playwright

    points, n_plotted = sources_sample(args.db, 4 * args.hovers)
    results: dict[str, list[float]] = {"empty": [], "painted": [], "hover": [], "zoom": []}
    lost = 0
    with tempfile.TemporaryDirectory(prefix="bench_eta_v_") as tmp:
        _, env = scale_dataset(args.db, Path(tmp))
        with served(env) as (url, _app, _ctx):
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=args.chromium,
                                             args=LAUNCH_ARGS)
                try:
                    for run in range(args.runs + 1):  # the first round is a warm-up
                        log(f"round {run}/{args.runs} ...")
                        try:
                            got = one_round(browser, url, points, args.hovers, args.zooms)
                        except Lost as exc:
                            # One lost round (listed) must not cost the others' figures.
                            log(f"round {run}: lost ({exc})")
                            lost += 1
                            continue
                        log("  " + ", ".join(f"{k} {statistics.median(v):.0f}"
                                             for k, v in got.items() if v))
                        if run:
                            for key, values in got.items():
                                results[key] += values
                finally:
                    browser.close()

    empty = statistics.median(results["empty"])
    print(f"\neta-V plot, {n_plotted:,} sources plotted, {args.runs} rounds "
          f"(load average {os.getloadavg()[0]:.1f}; {lost} rounds lost past 60 s); "
          "ms, median and range:")
    for key, label in (("empty", "empty page idle"), ("painted", "/sources eta-V painted"),
                       ("hover", "hover: pointer on a source until its ring"),
                       ("zoom", "zoom: wheel step until the new bulk painted")):
        values = results[key]
        if not values:
            print(f"{label:<46} -")
            continue
        ratio = f" {statistics.median(values) / empty:5.2f}x empty" if key == "painted" else ""
        print(f"{label:<46} {statistics.median(values):7.0f} "
              f"({min(values):.0f}-{max(values):.0f}, n={len(values)}){ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
