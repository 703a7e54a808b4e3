"""Image QA of a full-size DSA-110 image (6300 x 6300 float32, 4-D, big-endian FITS).

Times, in one process with the file in the page cache, the median of several runs of:
  (a) old seam   - the qa batch's per-image work before the measured QA: a sampled
                   MAD rms, then the peak from the whole plane as a float32 copy;
  (b) measured   - jobs.image_qa.measure_plane_qa: clipped MAD with sources excluded,
                   5-sigma islands in row strips, beam (no catalogue);
  (c) + catalogue - (b) with 300 catalogue sources to match (flux scale, astrometry);
  (d) read floor - one read of every pixel converted to native float32.
and the peak memory each allocates (tracemalloc: numpy registers its buffers there).
Prints (b)/(a), (c)/(a), (b)/(d) and the memory ratios against the old seam.

Run: python benchmarks/bench_image_qa.py [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from dsa110_dashboard.fits.reader import open_image
from dsa110_dashboard.fits.synth import primary_beam_cut, sky_image, write_dsa110_fits
from dsa110_dashboard.jobs.image_qa import CatalogueSource, measure_plane_qa

N = 6300
N_SOURCES = 300


def make_image(path: Path) -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(42)
    sources = [(float(rng.integers(500, N - 500)), float(rng.integers(500, N - 500)),
                float(rng.uniform(0.005, 0.5))) for _ in range(N_SOURCES)]
    data = primary_beam_cut(sky_image((N, N), sources, noise=3e-4, beam_fwhm_pix=8, seed=1))
    write_dsa110_fits(path, data, 128.729, 55.573, 2.0)
    return sources


def old_seam(path: Path) -> float:
    plane = open_image(path)
    ny, nx = plane.shape
    step = max(1, int(math.sqrt(ny * nx / 1_000_000)))
    sample = plane.region(slice(None, None, step), slice(None, None, step))
    finite = sample[np.isfinite(sample)]
    median = float(np.median(finite))
    rms = 1.4826 * float(np.median(np.abs(finite - median)))
    peak = float(np.nanmax(plane.data))
    return peak / rms


def read_floor(path: Path) -> float:
    plane = open_image(path)
    return float(plane.data[0, 0])


def timed(fn, runs: int) -> tuple[float, float]:
    """(median seconds of ``runs`` plain runs, peak MiB allocated in one more run traced:
    tracing slows Python code, so it is not timed)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write the image here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-qa-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "full-image.fits"
    sources = make_image(path)
    wcs = open_image(path).wcs
    ra, dec = wcs.pixel_to_world_values([s[0] for s in sources], [s[1] for s in sources])
    catalogue = [CatalogueSource(float(r), float(d), s[2]) for r, d, s in zip(ra, dec, sources)]
    read_floor(path)  # into the page cache

    qa = measure_plane_qa(open_image(path), catalogue)
    print(f"measured: rms {qa['rms_noise'] * 1e6:.1f} uJy/beam (injected 300.0), "
          f"sources {qa['num_sources']} (injected {N_SOURCES}, "
          f"{sum(s[2] > 1.5e-3 for s in sources)} above 5 sigma), "
          f"flux ratio {qa['catalogue']['flux_scale_ratio']:.3f}, offset "
          f"{qa['catalogue']['astrometry_offset_arcsec']:.2f} arcsec, "
          f"matched {qa['catalogue']['n_matched']}/{qa['catalogue']['n_catalogue']}")

    old_t, old_m = timed(lambda: old_seam(path), args.runs)
    new_t, new_m = timed(lambda: measure_plane_qa(open_image(path)), args.runs)
    cat_t, cat_m = timed(lambda: measure_plane_qa(open_image(path), catalogue), args.runs)
    floor_t, floor_m = timed(lambda: read_floor(path), args.runs)
    for name, t, m in (("old seam", old_t, old_m), ("measured", new_t, new_m),
                       ("measured + catalogue", cat_t, cat_m),
                       ("read floor", floor_t, floor_m)):
        print(f"{name:22s} {t * 1e3:9.1f} ms   peak {m:7.1f} MiB")
    print(f"time_ratio_measured_vs_old_seam={new_t / old_t:.2f} "
          f"time_ratio_with_catalogue_vs_old_seam={cat_t / old_t:.2f} "
          f"time_ratio_measured_vs_read_floor={new_t / floor_t:.2f} "
          f"memory_ratio_measured_vs_old_seam={new_m / old_m:.2f}")
    if args.keep is None:
        path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
