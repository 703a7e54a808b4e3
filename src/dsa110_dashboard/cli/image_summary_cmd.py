"""``dsa110-dash image-summary``: measure what the images rows lack into our summary."""

from __future__ import annotations

import argparse
import sys

from ..db.engine import Database
from ..settings import Settings
from .progress import ProgressLine

MAX_LISTED_FAILURES = 20


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "image-summary", help="measure image centres, noise and dynamic range the "
                              "database lacks, and index the latest QA grades",
        description="Fill the dashboard's dash_image_summary: the latest QA grade of every "
                    "image (for the fast QA-grade filter), and, for images whose row in "
                    "images has no centre, noise or dynamic range, those values measured "
                    "from the FITS header and pixels, so the /images filters and the API "
                    "see them. Incremental: run it again (e.g. from cron) to catch up with "
                    "new images and QA rows. Needs write access (for a pipeline database "
                    "set DSA110_DASH_READ_ONLY=false) and revision 0007 (`dsa110-dash db "
                    "upgrade`). Exit status 1 when an image could not be measured.")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--redo", action="store_true",
                        help="measure again every image that lacks a value, also those "
                             "measured or failed before, and regrade every image")
    parser.set_defaults(handler=_image_summary)


def _image_summary(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: numpy/astropy are not needed to parse the command line.
    from ..jobs.image_summary import fill_image_summary

    db = Database(settings)
    try:
        run = fill_image_summary(db, settings, workers=args.workers, redo=args.redo,
                                 progress=ProgressLine())
    finally:
        db.dispose()
    print(f"image summary of {db.target.display()}: {run.graded:,} QA grades updated, "
          f"{run.measured:,} images measured, {len(run.failed):,} failed, "
          f"in {run.seconds:.1f} s")
    for path, reason in run.failed[:MAX_LISTED_FAILURES]:
        print(f"  FAILED {path}: {reason}", file=sys.stderr)
    if len(run.failed) > MAX_LISTED_FAILURES:
        print(f"  … and {len(run.failed) - MAX_LISTED_FAILURES} more", file=sys.stderr)
    return 1 if run.failed else 0
