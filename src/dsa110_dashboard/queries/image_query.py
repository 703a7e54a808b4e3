"""The query-string form of an image search, shared by the /images page, the CSV export
and the image batches.

One codec, so that the page's URL and ``GET /api/v1/images.csv`` cannot drift: the page
writes its state with ``to_args`` and reads it back with ``from_args``; the export
endpoint parses the very same arguments with ``parse``. Keys:

==============  ==========================================================================
``from``/``to`` observation time: an MJD (``60962.5``) or a UTC date/time
                (``2025-10-14``, ``2025-10-14T15:00``); a bare date in ``to`` includes
                that whole day
``type``        image types, comma separated (``5min,pbcor``)
``field``       field name (exact)
``dec_min``/``dec_max``      centre declination, degrees
``noise_min``/``noise_max``  image noise, **mJy/beam**
``dr_min``/``dr_max``        dynamic range
``grade``       latest measured QA grade(s), comma separated; ``unknown`` = never assessed
``with_unknown``  ``1``: images whose filtered dec/noise/dynamic range is unknown pass
                those filters (default: they are left out, and counted)
``q``           text contained in the path
``sort``/``order``           a sort key of ``ImageRepository.SORT_KEYS``; ``asc``/``desc``
``page``/``size``            1-based page number and rows per page (the page only)
``view``        ``table`` or ``grid`` (the page only)
==============  ==========================================================================

Every bad value raises ``InvalidInputError`` naming its key.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

from ..errors import InvalidInputError
from ..repositories.images import ImageFilter, ImageRepository
from ..repositories.paging import DEFAULT_LIMIT, PageRequest
from ..repositories.qa import GRADES
from ..science.numbers import parse_number
from ..science.times import unix_to_mjd

PAGE_SIZES = (25, 50, 100, 200)
VIEWS = ("table", "grid")
DEFAULT_SORT = "mjd"
DEFAULT_ORDER = "desc"
#: Observation times accepted, as MJD numbers or dates: 1858-11-17 .. 2132-08-31.
MJD_RANGE = (0.0, 100_000.0)
_DATE_RANGE = "1858-11-17 to 2132-08-31"
_LIST_KEYS = ("type", "grade")
_NUMBER_KEYS = ("dec_min", "dec_max", "noise_min", "noise_max", "dr_min", "dr_max")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class ImageQuery:
    """An image search as text, exactly as it appears in a URL (empty = not set)."""

    time_from: str = ""
    time_to: str = ""
    types: tuple[str, ...] = ()
    field: str = ""
    dec_min: str = ""
    dec_max: str = ""
    noise_min: str = ""
    noise_max: str = ""
    dr_min: str = ""
    dr_max: str = ""
    grades: tuple[str, ...] = ()
    search: str = ""
    with_unknown: bool = False
    sort: str = DEFAULT_SORT
    order: str = DEFAULT_ORDER
    page: int = 1
    size: int = DEFAULT_LIMIT
    view: str = "table"

    # ---------------------------------------------------------------- wire format
    KEYS = {"time_from": "from", "time_to": "to", "types": "type", "field": "field",
            "dec_min": "dec_min", "dec_max": "dec_max", "noise_min": "noise_min",
            "noise_max": "noise_max", "dr_min": "dr_min", "dr_max": "dr_max",
            "grades": "grade", "search": "q", "with_unknown": "with_unknown",
            "sort": "sort", "order": "order", "page": "page", "size": "size", "view": "view"}
    FILTER_FIELDS = ("time_from", "time_to", "types", "field", "dec_min", "dec_max",
                     "noise_min", "noise_max", "dr_min", "dr_max", "grades", "search",
                     "with_unknown")

    @classmethod
    def from_args(cls, args: Mapping[str, str | bytes | Sequence[str | bytes]]) -> ImageQuery:
        """From query arguments (Tornado's ``{key: [bytes]}`` or ``{key: str}``).

        Lenient: text is kept as typed so that the page can show it with its error;
        only ``page``, ``size`` and ``view`` fall back to their defaults when bad.
        """
        values: dict = {}
        for name, key in cls.KEYS.items():
            raw = _values(args.get(key))
            if not raw:
                continue
            if key in _LIST_KEYS:
                values[name] = _items(raw)
            elif key == "page":
                values[name] = _whole(raw[-1], 1, 1)
            elif key == "size":
                values[name] = _whole(raw[-1], DEFAULT_LIMIT, 1)
            elif key == "view":
                values[name] = raw[-1] if raw[-1] in VIEWS else "table"
            elif key == "with_unknown":
                values[name] = raw[-1].strip().lower() in _TRUE
            else:
                values[name] = raw[-1].strip()
        return cls(**values)

    def to_args(self, *, paging: bool = True) -> dict[str, str]:
        """The non-default values as query arguments (lists comma separated)."""
        default = ImageQuery()
        out: dict[str, str] = {}
        for f in fields(self):
            if not paging and f.name in ("page", "size", "view"):
                continue
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if isinstance(value, bool):
                out[self.KEYS[f.name]] = "1" if value else "0"
            else:
                out[self.KEYS[f.name]] = (",".join(value) if isinstance(value, tuple)
                                          else str(value))
        return out

    def with_filters_of(self, other: ImageQuery) -> ImageQuery:
        return replace(self, **{name: getattr(other, name) for name in self.FILTER_FIELDS})

    # -------------------------------------------------------------------- parsing
    def image_filter(self) -> ImageFilter:
        """The repository filter; raises ``InvalidInputError`` naming the bad key."""
        mjd_min = parse_time(self.time_from, "from")
        mjd_max = parse_time(self.time_to, "to", end_of_day=True)
        if mjd_min is not None and mjd_max is not None and mjd_min > mjd_max:
            raise InvalidInputError("'from' is later than 'to'", parameter="from")
        numbers = {key: parse_number(getattr(self, key), key) for key in _NUMBER_KEYS}
        for low, high in (("dec_min", "dec_max"), ("noise_min", "noise_max"),
                          ("dr_min", "dr_max")):
            if (numbers[low] is not None and numbers[high] is not None
                    and numbers[low] > numbers[high]):
                raise InvalidInputError(f"{low} is larger than {high}", parameter=low)
        for key in ("dec_min", "dec_max"):
            if numbers[key] is not None and not -90.0 <= numbers[key] <= 90.0:
                raise InvalidInputError(f"{key} must be between -90 and 90 degrees",
                                        parameter=key)
        unknown = [g for g in self.grades if g not in GRADES]
        if unknown:
            raise InvalidInputError(
                f"unknown QA grade {unknown[0]!r}; choose from {', '.join(GRADES)}",
                parameter="grade")
        mjy = 1e-3
        return ImageFilter(
            mjd_min=mjd_min, mjd_max=mjd_max,
            types=self.types or None,
            field=self.field or None,
            dec_min=numbers["dec_min"], dec_max=numbers["dec_max"],
            noise_min=numbers["noise_min"] * mjy if numbers["noise_min"] is not None else None,
            noise_max=numbers["noise_max"] * mjy if numbers["noise_max"] is not None else None,
            dr_min=numbers["dr_min"], dr_max=numbers["dr_max"],
            qa_grade=self.grades or None,
            path_contains=self.search or None,
            with_unknown=self.with_unknown)

    def page_request(self, *, paged: bool = True) -> PageRequest:
        if self.sort not in ImageRepository.SORT_KEYS:
            raise InvalidInputError(
                f"cannot sort by {self.sort!r}; choose one of: "
                f"{', '.join(ImageRepository.SORT_KEYS)}", parameter="sort")
        if self.order not in ("asc", "desc"):
            raise InvalidInputError("order must be 'asc' or 'desc'", parameter="order")
        if not paged:
            return PageRequest(sort=self.sort, descending=self.order == "desc")
        return PageRequest(offset=(self.page - 1) * self.size, limit=self.size,
                           sort=self.sort, descending=self.order == "desc")


def parse(args: Mapping[str, str | bytes | Sequence[str | bytes]], *,
          max_size: int | None = None, strict_keys: bool = False) -> ImageQuery:
    """Parse and validate query arguments (the export endpoint's entry point).

    Unlike ``from_args`` every given value must be valid, including ``page``/``size``
    and ``view``, and ``size`` is at most ``max_size`` (DSA110_DASH_PAGE_SIZE_MAX; None
    where nothing is paged, as in a batch over every matching image); with
    ``strict_keys`` an unknown key is an error too.
    """
    known = set(ImageQuery.KEYS.values())
    if strict_keys:
        for key in args:
            if key not in known:
                raise InvalidInputError(f"unknown parameter {key!r}; known: "
                                        f"{', '.join(sorted(known))}", parameter=key)
    for key, low in (("page", 1), ("size", 1)):
        raw = _values(args.get(key))
        if raw:
            value = _whole(raw[-1], None, low)
            limited = key == "size" and max_size is not None
            if value is None or (limited and value > max_size):
                raise InvalidInputError(f"{key} must be a whole number >= {low}"
                                        + (f" and <= {max_size}" if limited else ""),
                                        parameter=key)
    view = _values(args.get("view"))
    if view and view[-1] not in VIEWS:
        raise InvalidInputError("view must be 'table' or 'grid'", parameter="view")
    with_unknown = _values(args.get("with_unknown"))
    if with_unknown and with_unknown[-1].strip().lower() not in _TRUE + _FALSE:
        raise InvalidInputError("with_unknown must be 1 or 0", parameter="with_unknown")
    query = ImageQuery.from_args(args)
    query.image_filter()
    query.page_request()
    return query


# ---------------------------------------------------------------------- helpers
def parse_time(text: str, parameter: str, *, end_of_day: bool = False) -> float | None:
    """An MJD from ``text``: a number is an MJD, anything else an ISO UTC date/time."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None:
        if not (math.isfinite(value) and MJD_RANGE[0] <= value <= MJD_RANGE[1]):
            raise InvalidInputError(
                f"{parameter}: {text!r} is not a plausible MJD (0 to 100000)",
                parameter=parameter)
        return value
    candidate = text.replace(" ", "T").removesuffix("Z").removesuffix("UTC").rstrip("T")
    try:
        stamp = dt.datetime.fromisoformat(candidate)
    except ValueError:
        raise InvalidInputError(
            f"{parameter}: {text!r} is neither an MJD nor a date (YYYY-MM-DD[THH:MM[:SS]])",
            parameter=parameter) from None
    try:
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
        mjd = unix_to_mjd(stamp.replace(tzinfo=dt.timezone.utc).timestamp())
    except OverflowError:  # a UTC offset pushed it past year 1 or 9999
        mjd = math.nan
    if not MJD_RANGE[0] <= mjd <= MJD_RANGE[1]:
        raise InvalidInputError(
            f"{parameter}: {text!r} is outside the dates searched ({_DATE_RANGE} UTC)",
            parameter=parameter)
    if end_of_day and "T" not in candidate:
        mjd += 1.0  # a bare date as the upper bound includes that whole day
    return mjd


def _items(raw: list[str]) -> tuple[str, ...]:
    """A repeatable, comma-separable query key's values, in order, once each."""
    return tuple(dict.fromkeys(
        item.strip() for text in raw for item in text.split(",") if item.strip()))


def _values(raw) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, (str, bytes)):
        raw = [raw]
    out = []
    for item in raw:
        text = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        if text.strip():
            out.append(text)
    return out


def _whole(text: str, default, low: int):
    try:
        value = int(text.strip())
    except ValueError:
        return default
    return value if value >= low else default


__all__ = ["ImageQuery", "PAGE_SIZES", "VIEWS", "parse",
           "parse_time"]
