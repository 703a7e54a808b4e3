"""Soak of the wall display: /wall open in Chromium for a long time, rotating fast.

Starts ``dsa110-dash serve`` (a subprocess, as in production) on a dataset, opens
``/wall?rotate=<s>`` in headless Debian Chromium and keeps it open for ``--minutes``,
with the wall's data refreshed every ``--refresh`` seconds (each refresh replaces the
wall's HTML: the clock and the ages in it change). Every ``--sample`` seconds it records
the server's resident memory (RSS, from /proc), the page's JS heap after a garbage
collection (Chrome DevTools Protocol: ``HeapProfiler.collectGarbage`` then
``Performance.getMetrics`` JSHeapUsedSize), the DOM node count, and how many times the
wall rotated; and it collects every console error and page error.

It prints the samples, the console errors seen, and start/end/peak of RSS and JS heap with
the end/start ratios (the baseline is the same run's first sample, taken once the wall
is up). It measures, it does not assert; benchmarks/README.md states the bound it met.

Run:
  python benchmarks/soak_wall.py --minutes 10                 # builds a small demo first
  python benchmarks/soak_wall.py --data-dir demo-data --minutes 10 --rotate 2
Options: --port (default: a free one), --refresh 5, --sample 30, --chromium PATH.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The package (also uninstalled), and tests/server.py: the one way to start a server.
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from server import free_port, serve_in_process, stop_process  # noqa: E402


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def dataset(data_dir: str | None) -> Path:
    if data_dir:
        return Path(data_dir).resolve()
    from dsa110_dashboard.demo.build import build_demo

    out = Path(tempfile.mkdtemp(prefix="soak-wall-"))
    print(f"building a small demo dataset in {out} ...", flush=True)
    build_demo(out, days=2, size=256, seed=5)
    return out


def start_server(data: Path, port: int, refresh: float, log: Path):  # noqa: ANN201
    """The server as in production (tests/server.py's ``serve_in_process``)."""
    try:
        return serve_in_process({"DSA110_DASH_DB": str(data / "pipeline.sqlite3"),
                                 "DSA110_DASH_DATA_DIR": str(data),
                                 "DSA110_DASH_WALL_REFRESH_SECONDS": str(refresh)},
                                port, log, timeout=180)
    except RuntimeError as exc:
        sys.exit(str(exc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rotate", type=float, default=2.0)
    parser.add_argument("--refresh", type=float, default=5.0)
    parser.add_argument("--sample", type=float, default=30.0)
    parser.add_argument("--data-dir")
    parser.add_argument("--port", type=int)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    data = dataset(args.data_dir)
    port = args.port or free_port()
    log = Path(tempfile.mkdtemp(prefix="soak-wall-log-")) / "server.log"
    server = start_server(data, port, args.refresh, log)
    errors: list[str] = []
    samples: list[tuple[float, float, float, int, int]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=args.chromium,
                args=["--headless", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking", "--disable-component-update"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            url = f"http://127.0.0.1:{port}/wall?rotate={args.rotate:g}"
            page.goto(url, timeout=120_000)
            page.wait_for_function("() => window.dsaWall && window.dsaWall.shown",
                                   timeout=120_000)
            start = time.monotonic()
            end = start + args.minutes * 60
            print(f"soak: {url} for {args.minutes:g} min, refresh every {args.refresh:g} s",
                  flush=True)
            print(f"{'t (s)':>7} {'server RSS MiB':>15} {'JS heap MiB':>12} {'DOM nodes':>10} "
                  f"{'rotations':>10}", flush=True)
            while True:
                now = time.monotonic()
                cdp.send("HeapProfiler.collectGarbage")
                metrics = {m["name"]: m["value"] for m in
                           cdp.send("Performance.getMetrics")["metrics"]}
                rotations = page.evaluate("() => window.dsaWall ? window.dsaWall.rotations : -1")
                sample = (now - start, rss_mib(server.pid),
                          metrics["JSHeapUsedSize"] / 2**20, int(metrics["Nodes"]), rotations)
                samples.append(sample)
                print(f"{sample[0]:7.0f} {sample[1]:15.1f} {sample[2]:12.1f} {sample[3]:10d} "
                      f"{sample[4]:10d}", flush=True)
                if now >= end:
                    break
                page.wait_for_timeout(min(args.sample, end - now + 0.1) * 1000)
            browser.close()
    finally:
        stop_process(server, timeout=30)

    first, last = samples[0], samples[-1]
    peak_rss = max(s[1] for s in samples)
    peak_heap = max(s[2] for s in samples)
    print()
    print(f"minutes={args.minutes:g} rotate_s={args.rotate:g} refresh_s={args.refresh:g} "
          f"rotations={last[4]}")
    print(f"server_rss_mib start={first[1]:.1f} end={last[1]:.1f} peak={peak_rss:.1f} "
          f"ratio_end_to_start={last[1] / first[1]:.3f}")
    print(f"js_heap_mib start={first[2]:.1f} end={last[2]:.1f} peak={peak_heap:.1f} "
          f"ratio_end_to_start={last[2] / first[2]:.3f}")
    print(f"dom_nodes start={first[3]} end={last[3]}")
    print(f"console_errors={len(errors)}")
    for line in errors[:50]:
        print("  " + line[:300])


if __name__ == "__main__":
    main()
