"""``dsa110-dash demo --live``: the simulated pipeline beside a worker and the server."""

from __future__ import annotations

import argparse
import dataclasses
import threading
from pathlib import Path

from ..db.engine import Database
from ..db.target import parse_database
from ..settings import Settings
from .signals import stop_on_sigterm


def run_live(args: argparse.Namespace, settings: Settings) -> int:
    from ..demo import build_demo
    from ..demo.build import DB_NAME
    from ..demo.live import LivePipeline

    out = Path(args.out).expanduser().resolve() if args.out else settings.data_dir.resolve()
    if not (out / DB_NAME).exists():
        print("\n".join(build_demo(out, days=args.days, size=args.size, seed=args.seed,
                                   images_per_day=args.images_per_day,
                                   workers=args.workers).lines()))
    settings = dataclasses.replace(settings, read_only=False)
    db = Database(settings, parse_database(str(out / DB_NAME), "demo --live",
                                           read_only=False))
    stopping = threading.Event()
    try:
        with stop_on_sigterm(stopping.set):
            LivePipeline(db, settings, out).run(stopping)
    finally:
        db.dispose()
    return 0
