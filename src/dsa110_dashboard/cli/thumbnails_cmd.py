"""``dsa110-dash thumbnails``: prerender every image's thumbnail into the shared cache."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from ..db.engine import Database
from ..errors import ForbiddenPathError, ImageReadError, InvalidInputError, NotFoundError
from ..files import DataRoots
from ..fits.cache import ThumbnailCache
from ..fits.prerender import prerender
from ..fits.stretch import DEFAULT_STRETCH
from ..repositories.images import ImageFilter, ImageRepository
from ..repositories.paging import PageRequest
from ..science.times import iso_to_unix, mjd_to_unix
from ..settings import Settings
from .progress import ProgressLine

MAX_LISTED_FAILURES = 20


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "thumbnails", help="prerender image thumbnails into the cache",
        description="Render the thumbnail of every image in the database (or those made "
                    "since a date) into the thumbnail cache the server uses, in parallel "
                    "processes. Cached thumbnails are skipped, so an interrupted run "
                    "resumes where it stopped. Ends with a summary of failures; exit "
                    "status 1 when any image failed.")
    parser.add_argument("--since", metavar="DATE",
                        help="only images created since DATE (ISO date/time in UTC, or MJD)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--size", type=int, default=512, help="long side in pixels")
    parser.add_argument("--stretch", default=DEFAULT_STRETCH)
    parser.add_argument("--cmap", default="inferno")
    parser.set_defaults(handler=_thumbnails)


def parse_since(text: str | None) -> float | None:
    """Unix seconds from an ISO date/time (UTC) or an MJD number."""
    if not text:
        return None
    try:
        return float(mjd_to_unix(float(text)))
    except ValueError:
        pass
    try:
        return iso_to_unix(text)
    except ValueError:
        raise InvalidInputError(f"--since {text!r} is not an ISO date/time or an MJD",
                                parameter="since") from None


def image_paths(db: Database, since: float | None) -> Iterator[str]:
    frames = ImageRepository(db).iter_rows(ImageFilter(created_after=since),
                                           PageRequest(sort="created_at", descending=False))
    for frame in frames:
        yield from frame["path"]


def _thumbnails(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers < 1:
        raise InvalidInputError("--workers must be at least 1", parameter="workers")
    since = parse_since(args.since)
    db = Database(settings)
    roots = DataRoots.for_server(settings, db.target)
    allowed, refused = [], []
    for path in image_paths(db, since):
        try:
            allowed.append(str(roots.confine(path, must_exist=False)))
        except (ForbiddenPathError, ImageReadError, NotFoundError) as exc:
            refused.append((path, exc.user_message))
    db.dispose()
    cache = ThumbnailCache(settings.effective_cache_dir / "thumbnails",
                           settings.thumbnail_cache_bytes)
    bar = ProgressLine()
    summary = prerender(allowed, cache, workers=args.workers,
                        progress=lambda done, total, path, outcome: bar(done, total,
                                                                        "thumbnails"),
                        size=args.size, stretch=args.stretch, cmap=args.cmap)
    failures = refused + list(summary.failed)
    print(f"thumbnails: {summary.rendered} rendered, {summary.skipped_cached} already "
          f"cached, {len(failures)} failed (cache {cache.root})")
    for path, reason in failures[:MAX_LISTED_FAILURES]:
        print(f"  FAILED {path}: {reason}", file=sys.stderr)
    if len(failures) > MAX_LISTED_FAILURES:
        print(f"  … and {len(failures) - MAX_LISTED_FAILURES} more", file=sys.stderr)
    return 1 if failures else 0
