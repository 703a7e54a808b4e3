"""Response and query models the endpoints share (declared with ``spec.Op``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .spec import Loose, Query


class Paging(Query):
    offset: int = Field(0, ge=0, le=10**9, description="rows to skip")
    limit: int | None = Field(None, ge=1, description="rows per page (default 50; at most "
                              "DSA110_DASH_PAGE_SIZE_MAX)")
    order: Literal["asc", "desc"] | None = Field(None, description="sort direction")


class Page(Loose):
    """A page of a list: its rows under the list's name, and the total that match."""

    total: int
    offset: int
    limit: int
    sort: str | None = None
    order: Literal["asc", "desc"] | None


class Record(Loose):
    """An object whose fields are listed in the endpoint's description."""
