"""State of the /images browser: the search (as in its URL), one page of rows and the total.

The search parameters carry the names of ``ImageQuery``'s fields, and the page keeps them
in its URL under the codec's keys (``URL_KEYS``, with ``views.urlstate``), so that the
page's address and the CSV export's arguments are the same text.

Paging, sorting and filtering all happen in SQL (``ImageRepository.page``); the model
holds one page only. ``fetch`` is blocking (run it in a worker thread) and returns a
result or the expected error; ``apply`` puts it on the model. A result carries the
query it answers, so a slow answer to an old query never overwrites a newer one.
"""

from __future__ import annotations

import math
import time
import urllib.parse
from dataclasses import dataclass, field, fields

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DashboardError, DatabaseUnavailableError, InvalidInputError
from ..repositories.flags import ImageFlags
from ..repositories.images import DERIVED_COLUMNS, ImageRepository
from ..repositories.qa import GRADES
from ..queries.image_query import DEFAULT_ORDER, DEFAULT_SORT, PAGE_SIZES, VIEWS, ImageQuery

EXPORT_URL = "/api/v1/images.csv"
#: Sort direction a column starts with when first chosen: text ascending, the rest newest
#: / largest first.
ASCENDING_FIRST = ("type", "field_name", "path")

#: The model's parameter for each ImageQuery field (the same names).
QUERY_PARAMS = tuple(f.name for f in fields(ImageQuery))
FILTER_PARAMS = ImageQuery.FILTER_FIELDS
#: The search's parameters -> their query keys (the codec's), for the page's URL.
URL_KEYS = dict(ImageQuery.KEYS)


def url_text(name: str, value) -> str:
    """One search value as the codec writes it (``with_unknown=1``, ``type=5min,pbcor``)."""
    query = ImageQuery(**{name: tuple(value) if isinstance(value, list) else value})
    return query.to_args().get(ImageQuery.KEYS[name], "")


def check_url_value(name: str, value) -> None:
    """The codec's own checks on one URL value alone (InvalidInputError naming its key).
    Values that contradict each other (``from`` after ``to``) are the search's error,
    shown with the results as when they are typed."""
    ImageQuery(**{name: tuple(value) if isinstance(value, list) else value}).image_filter()


#: Words for the filters whose value may be unknown (ImageFilter.value_bounds prefixes).
UNKNOWN_WORDS = {"dec": "declination", "noise": "noise", "dr": "dynamic range"}


@dataclass(frozen=True)
class BrowserResult:
    query: ImageQuery
    rows: pd.DataFrame
    total: int
    types: list[str] | None
    seconds: float
    #: ImageRepository.unknown_counts of the query ({} without a dec/noise/dr filter).
    unknown: dict[str, int] = field(default_factory=dict)
    summary_available: bool = True


@dataclass(frozen=True)
class BrowserFailure:
    query: ImageQuery
    error: DashboardError


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "path", "type", *DERIVED_COLUMNS])


class ImageBrowserModel(param.Parameterized):
    # --------------------------------------------------------- the search (URL state)
    time_from = param.String(default="", doc="MJD or UTC date/time, inclusive.")
    time_to = param.String(default="", doc="MJD or UTC date/time; a bare date: whole day.")
    types = param.List(default=[], item_type=str)
    field = param.String(default="")
    dec_min = param.String(default="")
    dec_max = param.String(default="")
    noise_min = param.String(default="", doc="mJy/beam")
    noise_max = param.String(default="", doc="mJy/beam")
    dr_min = param.String(default="")
    dr_max = param.String(default="")
    grades = param.List(default=[], item_type=str)
    search = param.String(default="", doc="Text contained in the path.")
    with_unknown = param.Boolean(default=False, doc=(
        "Let images whose filtered dec/noise/dynamic range is unknown through."))
    sort = param.Selector(default=DEFAULT_SORT, objects=list(ImageRepository.SORT_KEYS))
    order = param.Selector(default=DEFAULT_ORDER, objects=["asc", "desc"])
    page = param.Integer(default=1, bounds=(1, None))
    size = param.Integer(default=PAGE_SIZES[1], bounds=(1, None))
    view = param.Selector(default="table", objects=list(VIEWS))

    # ------------------------------------------------------------------ results
    rows = param.DataFrame(default=empty_rows(), doc="The current page only.")
    total = param.Integer(default=None, allow_None=True)
    error = param.String(default=None, allow_None=True)
    error_parameter = param.String(default=None, allow_None=True)
    type_options = param.List(default=[])
    grade_options = param.List(default=list(GRADES), constant=True)
    seconds = param.Number(default=None, allow_None=True, doc="Duration of the last fetch.")
    unknown_counts = param.Dict(default={}, doc=(
        "Images the dec/noise/dynamic-range filters leave out (or, with with_unknown, let "
        "through) because the value is unknown: per filter and 'any'."))
    summary_available = param.Boolean(default=True, doc=(
        "Whether the database has our image summary (values measured from the files)."))
    loaded = param.Boolean(default=False)
    input_notes = param.List(default=[], item_type=str,
                             doc="Ignored URL values (views.urlstate); cleared when the user "
                                 "changes the search.")

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.db = db
        self.max_size = db.settings.page_size_max
        # This database's limit (DSA110_DASH_PAGE_SIZE_MAX): a larger size in a URL is
        # named and ignored (views.urlstate reads the bounds).
        self.param["size"].bounds = (1, self.max_size)
        self.repository = ImageRepository(db)
        self._types_loaded = False
        self._correcting = False  # the model itself moves the page: not the user
        self.param.watch(self._back_to_first_page,
                         [*FILTER_PARAMS, "sort", "order", "size"])
        self.param.watch(self._types_are_options, ["types"])
        self.param.watch(self._forget_notes, list(QUERY_PARAMS))

    # ------------------------------------------------------------ URL state
    @property
    def query(self) -> ImageQuery:
        values = {}
        for name in QUERY_PARAMS:
            value = getattr(self, name)
            values[name] = tuple(value) if isinstance(value, list) else value
        return ImageQuery(**values)

    def set_query(self, query: ImageQuery) -> None:
        """Show ``query`` (e.g. a notebook's); an unknown sort key falls back to the default."""
        values = {}
        for name in QUERY_PARAMS:
            value = getattr(query, name)
            values[name] = list(value) if isinstance(value, tuple) else value
        if values["sort"] not in ImageRepository.SORT_KEYS:
            values["sort"] = DEFAULT_SORT
        values["size"] = max(1, min(self.max_size, values["size"]))
        page = values.pop("page")
        self.param.update(**values)
        self.page = page  # after the watcher that resets it on a filter change

    def query_args(self) -> dict[str, str]:
        return self.query.to_args()

    def url_search(self) -> str:
        args = self.query_args()
        return "?" + urllib.parse.urlencode(args) if args else ""

    @property
    def export_url(self) -> str:
        args = self.query.to_args(paging=False)
        return EXPORT_URL + ("?" + urllib.parse.urlencode(args) if args else "")

    @staticmethod
    def thumbnail_url(image_id: int, size: int = 256) -> str:
        return f"/api/v1/images/{int(image_id)}/thumbnail.png?size={int(size)}"

    # ------------------------------------------------------------------ actions
    def clear_filters(self) -> None:
        default = ImageQuery()
        self.param.update(**{name: list(getattr(default, name))
                             if isinstance(getattr(default, name), tuple)
                             else getattr(default, name) for name in FILTER_PARAMS})

    def sort_by(self, key: str) -> None:
        """A click on a column: the same column flips the order, another one starts with
        its natural direction."""
        if key not in ImageRepository.SORT_KEYS:
            return
        if key == self.sort:
            self.order = "asc" if self.order == "desc" else "desc"
        else:
            self.param.update(sort=key, order="asc" if key in ASCENDING_FIRST else "desc")

    def next_page(self) -> None:
        if self.page < self.page_count:
            self.page += 1

    def previous_page(self) -> None:
        if self.page > 1:
            self.page -= 1

    def go_to_page(self, number: int) -> None:
        self.page = max(1, min(int(number), self.page_count))

    def _back_to_first_page(self, *_events) -> None:
        self.page = 1

    def _types_are_options(self, *_events) -> None:
        """A type named in a URL is an option even before the types are loaded."""
        if set(self.types) - set(self.type_options):
            self.type_options = sorted(set(self.type_options) | set(self.types))

    def _forget_notes(self, *_events) -> None:
        """A note about the link is stale once the user changes the search."""
        if self.input_notes and not self._correcting:
            self.input_notes = []

    # ---------------------------------------------------------------- derived
    @property
    def page_count(self) -> int:
        if not self.total:
            return 1
        return max(1, math.ceil(self.total / self.size))

    @property
    def range_text(self) -> str:
        if self.total is None:
            return "Loading…"
        if self.total == 0:
            return "No images match."
        first = (self.page - 1) * self.size + 1
        last = min(self.total, first + len(self.rows) - 1)
        if len(self.rows) == 0:
            return f"No rows on page {self.page} of {self.total:,} images."
        return f"Rows {first:,}–{last:,} of {self.total:,}"

    @property
    def unknown_text(self) -> str:
        """What the dec/noise/dynamic-range filters did with images of unknown value."""
        counts = self.unknown_counts or {}
        n = counts.get("any", 0)
        if not n:
            return ""
        what = " or ".join(UNKNOWN_WORDS[k] for k in UNKNOWN_WORDS if counts.get(k))
        images = "image" if n == 1 else "images"
        if self.with_unknown:
            return f"Including {n:,} {images} with unknown {what}."
        return f"{n:,} {images} with unknown {what} left out by the filters."

    @property
    def summary_note(self) -> str:
        if self.summary_available:
            return ""
        return ("Values measured from the image files are unavailable on this database "
                "(it lacks the dashboard's image summary: `dsa110-dash db upgrade`, then "
                "`dsa110-dash image-summary`); filters use the pipeline's columns only.")

    # --------------------------------------------------------------- loading
    def fetch(self, query: ImageQuery | None = None) -> BrowserResult | BrowserFailure:
        """Blocking: one page and its total for ``query`` (default: the current one)."""
        query = query or self.query
        started = time.perf_counter()
        try:
            types = None if self._types_loaded else self.repository.types()
            image_filter = query.image_filter()
            page = self.repository.page(image_filter, query.page_request())
            # People's flags of the page's images (one small query by id).
            rows = ImageFlags(self.repository.db).annotate(page.rows, "id")
            unknown = (self.repository.unknown_counts(image_filter)
                       if image_filter.value_bounds() else {})
        except (InvalidInputError, DatabaseUnavailableError) as exc:
            return BrowserFailure(query=query, error=exc)
        return BrowserResult(query=query, rows=rows, total=page.total, types=types,
                             seconds=time.perf_counter() - started, unknown=unknown,
                             summary_available=self.repository.summary_available)

    def apply(self, result: BrowserResult | BrowserFailure) -> bool:
        """Show ``result`` unless the search changed meanwhile; True when shown."""
        if result.query != self.query:
            return False
        if isinstance(result, BrowserFailure):
            self.param.update(error=result.error.user_message,
                              error_parameter=getattr(result.error, "parameter", None),
                              loaded=True)
            if isinstance(result.error, InvalidInputError):
                self.param.update(rows=empty_rows(), total=0)
            return True
        updates = dict(rows=result.rows, total=result.total, error=None,
                       error_parameter=None, seconds=result.seconds, loaded=True,
                       unknown_counts=result.unknown,
                       summary_available=result.summary_available)
        if result.types is not None:
            self._types_loaded = True
            updates["type_options"] = sorted(set(result.types) | set(self.types))
        self.param.update(**updates)
        if result.total and self.page > self.page_count:
            self._correcting = True
            try:
                self.page = self.page_count  # e.g. a URL with a page beyond the end
            finally:
                self._correcting = False
            return False
        return True

    def refresh(self) -> None:
        """Fetch and apply in the calling thread (tests, notebooks)."""
        for _ in range(2):
            if self.apply(self.fetch()):
                return
