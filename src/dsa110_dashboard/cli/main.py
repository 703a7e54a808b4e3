"""``dsa110-dash``: serve the dashboard and manage its database.

Each subcommand lives in its own module and registers itself here; errors the dashboard
expects (bad configuration, unreachable database) end in one clear line, not a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from ..errors import ConfigError, DashboardError
from ..settings import Settings
from . import (
    batch_cmd,
    config_cmd,
    db_cmd,
    demo_cmd,
    image_summary_cmd,
    jobs_cmd,
    scale_cmd,
    serve_cmd,
    thumbnails_cmd,
    tokens_cmd,
    users_cmd,
    variability_cmd,
    worker_cmd,
)

SUBCOMMANDS = (serve_cmd, db_cmd, config_cmd, scale_cmd, thumbnails_cmd, demo_cmd,
               variability_cmd, image_summary_cmd, jobs_cmd, worker_cmd, batch_cmd,
               users_cmd, tokens_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dsa110-dash",
        description="DSA-110 continuum pipeline dashboard: serve the web dashboard and "
                    "manage its database. Settings come from environment variables "
                    "(see `dsa110-dash config show`); flags override them.",
    )
    parser.add_argument("--db", metavar="FILE_OR_URL",
                        help="database to use: a SQLite file or a SQLAlchemy URL "
                             "(overrides DSA110_DASH_DB and PIPELINE_*)")
    parser.add_argument("--read-only", choices=("true", "false", "auto"), default=None,
                        help="open the database read-only (default: auto)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {"db": args.db, "read_only": args.read_only}
    overrides.update(getattr(args, "setting_overrides", lambda a: {})(args))
    return Settings.load(overrides=overrides)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        # Alembic narrates every step at INFO; the commands print their own summary.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = settings_from(args)
        code = int(args.handler(args, settings) or 0)
        # Flushed here so a reader that left shows as the BrokenPipeError below, not as
        # an error while the interpreter exits.
        sys.stdout.flush()
        return code
    except ConfigError as exc:
        print(f"dsa110-dash: configuration error: {exc}", file=sys.stderr)
        return 2
    except DashboardError as exc:
        print(f"dsa110-dash: {exc.title.lower()}: {exc.user_message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dsa110-dash: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader closed the pipe (`dsa110-dash jobs list | head`): stop quietly, as
        # command-line tools do; what is still buffered goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
