"""Checks made once as the server starts: what a deployment is likely to have wrong,
said once in the log with the setting that fixes it (not once per request)."""

from __future__ import annotations

import logging
import os

from .context import AppContext
from .errors import DashboardError, ForbiddenPathError, ImageReadError, NeverServedError
from .repositories.images import ImageRepository
from .repositories.paging import PageRequest

log = logging.getLogger(__name__)

#: How many of the newest images are checked.
NEWEST = 20


def warn_unservable_images(ctx: AppContext, newest: int = NEWEST) -> list[str]:
    """Warn once when files of the newest images lie outside the data roots; returns
    their paths. Their thumbnails show a placeholder saying so, and their files are not
    served, until ``DSA110_DASH_DATA_ROOTS`` names their directory."""
    try:
        rows = ImageRepository(ctx.db).page(
            None, PageRequest(limit=newest, sort="created_at", descending=True)).rows
    except DashboardError as exc:  # the database itself is the problem; preflight says so
        log.warning("could not check where the newest images lie: %s", exc.user_message)
        return []
    outside = []
    for path in rows["path"]:
        try:
            ctx.roots.confine(str(path), must_exist=False)
        except NeverServedError:
            continue
        except ForbiddenPathError:
            outside.append(str(path))
        except ImageReadError:  # a path no file can have: its own placeholder says so
            continue
    if outside:
        roots = os.pathsep.join(str(r) for r in ctx.roots.roots)
        folder = os.path.commonpath([os.path.dirname(p) for p in outside]) \
            if all(os.path.isabs(p) for p in outside) else None
        hint = f"{roots}{os.pathsep}{folder}" if folder else f"{roots}{os.pathsep}<folder>"
        log.warning(
            "%d of the newest %d images lie outside the data roots (e.g. %s): their "
            "thumbnails show a placeholder and their files are not served. Set "
            "DSA110_DASH_DATA_ROOTS to include their folder, e.g. "
            "DSA110_DASH_DATA_ROOTS=%s", len(outside), len(rows), outside[0], hint)
    return outside
