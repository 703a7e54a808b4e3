"""Keyword arguments of a notebook call turned into the repositories' requests."""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..repositories.paging import Page, PageRequest


def request(offset: int, limit: int, sort: str | None, descending: bool) -> PageRequest:
    # No page-size cap here: DSA110_DASH_PAGE_SIZE_MAX guards the server from its
    # clients; a notebook asks its own database for what it needs.
    return PageRequest(offset=int(offset), limit=int(limit), sort=sort,
                       descending=bool(descending))


def filter_of(klass: type, given: dict, what: str):
    """``klass(**given)`` where a key it lacks is a TypeError listing those it has."""
    names = [f.name for f in dataclasses.fields(klass)]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise TypeError(f"{what} cannot filter on {unknown[0]!r}; choose from: "
                        + ", ".join(names))
    return klass(**given)


def as_tuple(value) -> tuple[str, ...] | None:
    """One string or several (a list, a tuple, comma-separated text) as a tuple."""
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


def framed(page: Page) -> pd.DataFrame:
    """The page's rows, with ``attrs['total']`` (rows matching the filter) and the
    slice they are (``attrs['offset']``, ``attrs['limit']``)."""
    frame = page.rows.copy()
    frame.attrs.update(total=page.total, offset=page.offset, limit=page.limit)
    return frame
