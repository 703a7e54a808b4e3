"""``dsa110-dash variability``: recompute every source's variability statistics."""

from __future__ import annotations

import argparse

from ..db.engine import Database
from ..settings import Settings
from .progress import ProgressLine


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "variability", help="recompute variability statistics of every source",
        description="Recompute eta, V, chi2_nu, sigma deviation and the two-epoch "
                    "statistics of every source from the photometry, into the pipeline's "
                    "variability_stats and the dashboard's dash_variability. Needs write "
                    "access (for a pipeline database set DSA110_DASH_READ_ONLY=false) and "
                    "the dashboard's revision 0003 (`dsa110-dash db upgrade`). Streams "
                    "sources in batches with bounded memory and prints progress.")
    parser.add_argument("--exclude-failed-qa", action="store_true",
                        help="also leave out epochs that failed QA: their image's latest "
                             "QA grade is poor (or fail/failed/bad), or the photometry row "
                             "is flagged image_qa_poor -- the definition the source page "
                             "uses (the count per source is recorded)")
    parser.add_argument("--include-flagged", action="store_true",
                        help="count epochs whose image a person flagged bad (left out by "
                             "default, as on the source page)")
    parser.add_argument("--batch-sources", type=int, default=None, metavar="N",
                        help="sources read and written per batch (default 200; memory "
                             "grows with it: ~N x epochs photometry rows at a time)")
    parser.set_defaults(handler=_variability)


def _variability(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: numpy/pandas are not needed to parse the command line.
    from ..jobs.variability import DEFAULT_BATCH_SOURCES, recompute_variability

    # Opened as resolved: our own database read-write, a pipeline database found through
    # PIPELINE_* read-only unless the operator says otherwise (ReadOnlyError explains).
    db = Database(settings)
    try:
        summary = recompute_variability(db, exclude_failed_qa=args.exclude_failed_qa,
                                        include_flagged=args.include_flagged,
                                        batch_sources=(DEFAULT_BATCH_SOURCES if args.batch_sources is None
                                                       else args.batch_sources),
                                        progress=ProgressLine())
    finally:
        db.dispose()
    print(f"variability of {db.target.display()}: {summary.sources:,} sources, "
          f"{summary.epochs:,} epochs from {summary.rows:,} photometry rows, "
          f"{summary.excluded:,} excluded ({summary.flagged:,} of them flagged bad, the "
          f"rest failed QA), in {summary.seconds:.1f} s")
    return 0
