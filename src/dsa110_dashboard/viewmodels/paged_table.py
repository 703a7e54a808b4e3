"""What a page's table of one page of rows does with its pager and, when it has one, its
sort: a mixin for a ``param.Parameterized`` that declares ``page`` and ``total`` (and
``sort`` and ``order`` to be sorted), whether it pages in SQL (jobs, measurement sets,
calibration tables) or in memory (the ESE list). No Panel here."""

from __future__ import annotations

import math


def page_count(total: int | None, size: int) -> int:
    return max(1, math.ceil((total or 0) / size))


class PagedTable:
    #: Sort keys a person picks (the model's ``sort`` values).
    SORTS: dict[str, str] = {}
    #: Text sorts start ascending when chosen; times and ids newest first.
    ASCENDING_FIRST: tuple[str, ...] = ()
    PAGE_SIZE = 50

    def sort_by(self, key: str) -> None:
        """The same key again flips the order; another starts in its natural direction."""
        if key not in self.SORTS:
            return
        if key == self.sort:
            self.order = "asc" if self.order == "desc" else "desc"
        else:
            self.param.update(sort=key,
                              order="asc" if key in self.ASCENDING_FIRST else "desc")

    def go_to_page(self, number: int) -> None:
        self.page = max(1, min(int(number), self.page_count))

    def _back_to_first_page(self, *_events) -> None:
        self.page = 1

    @property
    def page_count(self) -> int:
        return page_count(self.total, self.PAGE_SIZE)


def range_text(total: int | None, page: int, size: int, shown: int, noun: str) -> str:
    """``Jobs 51–100 of 1,234`` (``noun`` plural, lower case), or what stands instead."""
    if total is None:
        return "Loading…"
    if total == 0:
        return f"No {noun} match."
    first = (page - 1) * size + 1
    if shown == 0:
        return f"No rows on page {page} of {total:,} {noun}."
    last = min(total, first + shown - 1)
    return f"{noun[0].upper()}{noun[1:]} {first:,}–{last:,} of {total:,}"
