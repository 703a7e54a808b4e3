"""A command made of actions (``dsa110-dash tokens create|list|revoke``): its parser and
the sub-parsers its actions are added to, alike for every such command."""

from __future__ import annotations

import argparse


def action_group(sub: argparse._SubParsersAction, name: str, *, help: str,  # noqa: A002
                 description: str) -> argparse._SubParsersAction:
    """The parser of command ``name`` (one ACTION required, kept in
    ``args.<name>_command``); add each action with ``add_parser`` on what it returns."""
    parser = sub.add_parser(name, help=help, description=description)
    return parser.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)
