"""What the paged HTML tables (/jobs, /ms) say about their pages: how many there are and
which rows this one shows. No Panel here."""

from __future__ import annotations

import math


def page_count(total: int | None, size: int) -> int:
    return max(1, math.ceil((total or 0) / size))


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
