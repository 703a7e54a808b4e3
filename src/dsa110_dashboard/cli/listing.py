"""One shape for the commands that list a page of records (``jobs list``, ``batch
list``): the limit checked against DSA110_DASH_PAGE_SIZE_MAX, newest first, a header
line, one line per row, and "N of TOTAL" on standard error."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from ..db.engine import Database
from ..errors import InvalidInputError
from ..repositories.paging import Page, PageRequest
from ..settings import Settings


def utc(unix: float | None) -> str:
    if unix is None or unix != unix:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(unix)))


def print_page(settings: Settings, limit: int, read: Callable[[Database, PageRequest], Page],
               header: str, line: Callable[[Any], str], noun: str) -> int:
    """Print the newest ``limit`` records that ``read(db, request)`` pages; ``line``
    formats one row (a namedtuple of the page's frame). Returns the exit status."""
    largest = settings.page_size_max
    if not 1 <= limit <= largest:
        raise InvalidInputError(f"--limit must be between 1 and {largest}",
                                parameter="limit")
    db = Database(settings)
    try:
        page = read(db, PageRequest(limit=limit, sort="created_at"))
    finally:
        db.dispose()
    print(header)
    for row in page.rows.itertuples():
        print(line(row))
    print(f"{len(page.rows)} of {page.total} {noun}", file=sys.stderr)
    return 0
