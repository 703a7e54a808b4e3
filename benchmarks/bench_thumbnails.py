"""Thumbnail speed on a full-size DSA-110 image (6300 x 6300 float32, 4-D, big-endian).

Times, in one process with the file in the page cache, the median of several runs of:
  (a) baseline   - the old batch method: all pixels to float32, 1st-99.5th percentile
                   of the finite ones, linear to 8 bit, Pillow LANCZOS to 512, PNG;
  (b) cold       - our render_png at 512 with the default stretch (no cache);
  (c) cached     - ThumbnailCache.get_or_render on a hit;
  (d) read floor - one read of every pixel converted to native float32.
Targets: (a)/(b) >= 10, (b)/(d) <= 3, (c) < 5 ms.

Run: python benchmarks/bench_thumbnails.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits
from PIL import Image

from dsa110_dashboard.fits import ThumbnailCache, render_png
from dsa110_dashboard.fits.synth import primary_beam_cut, sky_image, write_dsa110_fits

N = 6300
SIZE = 512


def make_image(path: Path) -> None:
    rng = np.random.default_rng(42)
    sources = [(rng.uniform(500, N - 500), rng.uniform(500, N - 500), rng.uniform(0.005, 0.5))
               for _ in range(200)]
    data = primary_beam_cut(sky_image((N, N), sources, noise=3e-4, beam_fwhm_pix=8, seed=1))
    write_dsa110_fits(path, data, 128.729, 55.573, 2.0)


def baseline(path: Path) -> bytes:
    with fits.open(path, memmap=True) as hdul:
        data = np.asarray(hdul[0].data[0, 0], dtype=np.float32)
    finite = data[np.isfinite(data)]
    lo, hi = np.percentile(finite, [1.0, 99.5])
    scaled = np.clip((data - lo) / (hi - lo) * 255.0, 0, 255)
    scaled[~np.isfinite(scaled)] = 0
    image = Image.fromarray(scaled.astype(np.uint8)[::-1], mode="L").resize((SIZE, SIZE), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def read_floor(path: Path) -> float:
    with fits.open(path, memmap=True) as hdul:
        data = hdul[0].data[0, 0].astype(np.float32)
    return float(data[0, 0])


def timed(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the image here and keep it")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "bench-image.fits"
        if not path.exists():
            t0 = time.perf_counter()
            make_image(path)
            print(f"wrote {path.name}: {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s")
        path.read_bytes()  # into the page cache
        render_png(path, size=SIZE)  # first-use imports (astropy.visualization) out of the timings

        t_floor = timed(lambda: read_floor(path), args.runs)
        t_base = timed(lambda: baseline(path), max(3, args.runs // 2))
        t_cold = timed(lambda: render_png(path, size=SIZE), args.runs)
        cache = ThumbnailCache(Path(tmp) / "cache", max_bytes=100_000_000)
        cache.get_or_render(path, size=SIZE)
        assert cache.get_or_render(path, size=SIZE).from_cache
        t_cached = timed(lambda: cache.get_or_render(path, size=SIZE), args.runs * 5)

        print(f"baseline_ms={t_base:.1f}")
        print(f"cold_render_ms={t_cold:.1f}")
        print(f"cached_fetch_ms={t_cached:.2f}")
        print(f"read_floor_ms={t_floor:.1f}")
        print(f"speedup_vs_baseline={t_base / t_cold:.1f}")
        print(f"ratio_to_read_floor={t_cold / t_floor:.2f}")


if __name__ == "__main__":
    main()
