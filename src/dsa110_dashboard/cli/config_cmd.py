"""``dsa110-dash config show``."""

from __future__ import annotations

import argparse

from ..db.target import resolve_target
from ..settings import Settings
from .actions import action_group


def register(sub: argparse._SubParsersAction) -> None:
    inner = action_group(sub, "config", help="show the effective configuration",
                         description="Inspect the effective configuration of the dashboard.")
    show = inner.add_parser(
        "show", help="print every setting, its value and where it came from",
        description="Print every setting with its environment variable, effective value "
                    "and origin (default, environment, command line). Secrets are masked.")
    show.set_defaults(handler=show_config)


def show_config(args: argparse.Namespace, settings: Settings) -> int:
    rows = [("setting", "variable", "value", "from")] + settings.describe()
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for name, env, value, origin in rows:
        print(f"{name:<{widths[0]}}  {env:<{widths[1]}}  {value:<{widths[2]}}  {origin}")
    target = resolve_target(settings)
    mode = "read-only" if target.read_only else "read-write"
    print(f"\ndatabase in use: {target.display()} ({target.dialect}, {mode}, "
          f"from {target.origin})")
    return 0
