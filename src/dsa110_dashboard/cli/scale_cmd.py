"""``dsa110-dash scale-db``: fill a database with one-year-scale rows for benchmarks."""

from __future__ import annotations

import argparse
import dataclasses

from ..db.engine import Database
from ..db.target import parse_database
from ..settings import Settings
from .progress import ProgressLine


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "scale-db", help="fill a new database with realistic rows at scale (no FITS)",
        description="Create a database and fill it with realistic pipeline rows only "
                    "(no image files): one year is about --images 120000 --sources 20000 "
                    "--epochs 1000 (20 million photometry rows). Streams in batches with "
                    "bounded memory and prints progress.")
    parser.add_argument("--out", required=True, metavar="FILE_OR_URL",
                        help="new SQLite file or an empty PostgreSQL database URL")
    parser.add_argument("--images", type=int, default=120_000)
    parser.add_argument("--sources", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=1000,
                        help="photometry epochs per source")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.set_defaults(handler=_scale_db)


def _scale_db(args: argparse.Namespace, settings: Settings) -> int:
    from ..scale import fill_database

    target = parse_database(args.out, "--out", read_only=False)
    db = Database(dataclasses.replace(settings, read_only=False), target)
    summary = fill_database(db, images=args.images, sources=args.sources,
                            epochs=args.epochs, seed=args.seed, batch_size=args.batch_size,
                            progress=ProgressLine())
    rows = ", ".join(f"{table}={n:,}" for table, n in summary.rows.items())
    print(f"filled {target.display()} in {summary.seconds:.1f} s: {rows}")
    return 0
