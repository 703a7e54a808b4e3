"""``dsa110-dash demo``: write the demo dataset (the embedded default ``make run`` serves)."""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import InvalidInputError
from ..settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo", help="write a complete synthetic pipeline dataset (database, FITS, logs)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Write a complete, internally consistent DSA-110 pipeline dataset into DIR:\n"
            "  DIR/pipeline.sqlite3   unified-layout database, created by the migrations\n"
            "  DIR/images/            FITS images (4-D WCS, Jy/beam, NaN outside the beam)\n"
            "  DIR/logs/              job logs, {run_id}.log (set CONTIMG_LOGS_DIR to it)\n"
            "  DIR/demo_truth.json    what was injected on purpose (for tests and docs)\n\n"
            "A drift scan of the +54.57 deg strip: the same LST window (30 images on a\n"
            "4.3-minute cadence) every day, so most sources in it get 5 epochs a day.\n"
            "The observations end when the demo is generated (--end to choose another\n"
            "time): the newest image is minutes old, as in a pipeline that keeps up.\n"
            "Photometry, QA and variability statistics are measured from the pixels.\n"
            "Injected: extreme-scattering-event dips, flares, drifts, transients,\n"
            "a noisy, a striped and a blank image, failed jobs with tracebacks, an expired\n"
            "calibration set and a problematic spectral window.\n\n"
            "The default (--days 7, --size 1024) writes ~210 images, ~0.93 GB, in well\n"
            "under a minute on two cores. The same --seed and --end give the same rows\n"
            "and pixels."))
    parser.add_argument("--out", metavar="DIR",
                        help="directory to write (new or empty; see --force); with --live "
                             "default the data directory (DSA110_DASH_DATA_DIR)")
    parser.add_argument("--days", type=int, default=7, help="observing days (default 7)")
    parser.add_argument("--size", type=int, default=1024, metavar="PX",
                        help="image width and height in pixels for the 3.5-deg field "
                             "(default 1024: 12.3 arcsec cells, 4.2 MB an image)")
    parser.add_argument("--images-per-day", type=int, default=30, metavar="N",
                        help="images in each day's LST window (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--end", metavar="TIME", default=None,
                        help="when the observations end: ISO date/time in UTC "
                             "(2025-10-20T08:00) or MJD (default: now)")
    parser.add_argument("--full-size", action="store_true",
                        help="write the pipeline's real 6300 x 6300 images (2 arcsec cells, "
                             "160 MB each: about 34 GB for the default 7 days; reduce "
                             "--days / --images-per-day)")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty DIR, replacing a previous demo "
                             "dataset there (other files are left alone)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes that render images (default: up to 2)")
    parser.add_argument("--live", action="store_true",
                        help="keep the dataset alive: queue a new observation every "
                             "DSA110_DASH_DEMO_LIVE_INTERVAL seconds for `dsa110-dash "
                             "worker` to image (writes the dataset first if DIR has none)")
    parser.add_argument("--print-template", action="store_true",
                        help="print the demo pipeline's command template (for "
                             "PIPELINE_CMD_TEMPLATE) and exit")
    parser.set_defaults(handler=_demo)


class _Progress:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if total == 0:
            print(f"{what} ...  {now - self.start:6.1f} s", file=sys.stderr, flush=True)
            return
        if done < total and now - self.last < 1.0:
            return
        self.last = now
        print(f"\r{what:<8} {done:>5}/{total:<5} {now - self.start:6.1f} s",
              end="" if done < total else "\n", file=sys.stderr, flush=True)


def parse_end(text: str | None) -> float | None:
    """Unix seconds of ``--end`` (ISO date/time in UTC, or an MJD); None for now."""
    if text is None or not text.strip():
        return None
    from .thumbnails_cmd import parse_since  # the same two forms as --since

    try:
        return parse_since(text)
    except InvalidInputError as exc:
        raise InvalidInputError(str(exc).replace("--since", "--end"),
                                parameter="end") from None


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from ..demo import build_demo
    from ..demo.images import FULL_SIZE

    if args.print_template:
        from ..demo.live import demo_template

        print(demo_template())
        return 0
    if args.live:
        from .demo_live import run_live

        return run_live(args, settings)
    if not args.out:
        raise InvalidInputError("--out DIR is required", parameter="out")
    end = parse_end(args.end)
    size = FULL_SIZE if args.full_size else args.size
    n_images = args.days * args.images_per_day
    gigabytes = n_images * size * size * 4 / 1e9
    if args.full_size:
        print(f"dsa110-dash demo: --full-size writes {n_images} images of {size} x {size} "
              f"px: about {gigabytes:.0f} GB and several minutes per day of data",
              file=sys.stderr)
    summary = build_demo(args.out, days=args.days, size=args.size, seed=args.seed,
                         full_size=args.full_size, images_per_day=args.images_per_day,
                         force=args.force, workers=args.workers, progress=_Progress(),
                         end=end)
    print("\n".join(summary.lines()))
    return 0
