"""The query-string form of a measurement-set search, shared by the /ms page (its URL
state) and ``GET /api/v1/ms``. Keys:

==============  ==========================================================================
``stage``       pipeline stages, comma separated (any text: unknown stages are shown too)
``status``      statuses, comma separated
``from``/``to`` observation time (mid MJD): an MJD or a UTC date/time, as on /images
``cal``         ``yes``: calibration applied; ``no``: not applied
``stuck``       ``1``: only the stuck ones (decision 0051; DSA110_DASH_MS_STUCK_HOURS)
``q``           text contained in the path
``sort``/``order``  a key of ``MeasurementSetRepository.SORT_KEYS``; ``asc``/``desc``
``page``/``size``   1-based page and rows per page (the page; the API takes offset/limit)
==============  ==========================================================================

Every bad value raises ``InvalidInputError`` naming its key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from ..errors import InvalidInputError
from ..repositories.measurement_sets import MeasurementSetFilter, MeasurementSetRepository
from ..repositories.paging import DEFAULT_LIMIT, PageRequest
from .image_query import _TRUE, _items, _values, _whole, parse_time

CAL_CHOICES = ("", "yes", "no")
MAX_TEXT = 200


@dataclass(frozen=True)
class MsQuery:
    stages: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    time_from: str = ""
    time_to: str = ""
    cal: str = ""
    stuck: bool = False
    search: str = ""
    sort: str = MeasurementSetRepository.DEFAULT_SORT
    order: str = "desc"
    page: int = 1
    size: int = DEFAULT_LIMIT

    KEYS = {"stages": "stage", "statuses": "status", "time_from": "from", "time_to": "to",
            "cal": "cal", "stuck": "stuck", "search": "q", "sort": "sort", "order": "order",
            "page": "page", "size": "size"}

    @classmethod
    def from_args(cls, args: Mapping[str, str | bytes | Sequence[str | bytes]]) -> MsQuery:
        """Lenient: text kept as typed (checked by ``ms_filter``/``page_request``);
        ``page`` and ``size`` fall back to their defaults when bad."""
        values: dict = {}
        for name, key in cls.KEYS.items():
            raw = _values(args.get(key))
            if not raw:
                continue
            if key in ("stage", "status"):
                values[name] = _items(raw)
            elif key == "page":
                values[name] = _whole(raw[-1], 1, 1)
            elif key == "size":
                values[name] = _whole(raw[-1], DEFAULT_LIMIT, 1)
            elif key == "stuck":
                values[name] = raw[-1].strip().lower() in _TRUE
            else:
                values[name] = raw[-1].strip()
        return cls(**values)

    def to_args(self) -> dict[str, str]:
        """The non-default values as query arguments."""
        default = MsQuery()
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if isinstance(value, bool):
                out[self.KEYS[f.name]] = "1"
            elif isinstance(value, tuple):
                out[self.KEYS[f.name]] = ",".join(value)
            else:
                out[self.KEYS[f.name]] = str(value)
        return out

    def ms_filter(self, stuck_cutoff: float) -> MeasurementSetFilter:
        """The repository filter (``stuck_cutoff``: now - the stuck threshold, unix s)."""
        for key, values in (("stage", self.stages), ("status", self.statuses)):
            for value in values:
                if len(value) > MAX_TEXT:
                    raise InvalidInputError(f"{key}: a value is longer than {MAX_TEXT} "
                                            "characters", parameter=key)
        if len(self.search) > MAX_TEXT:
            raise InvalidInputError(f"q is longer than {MAX_TEXT} characters", parameter="q")
        if self.cal not in CAL_CHOICES:
            raise InvalidInputError(f"cal must be 'yes' or 'no', not {self.cal!r}",
                                    parameter="cal")
        mjd_min = parse_time(self.time_from, "from")
        mjd_max = parse_time(self.time_to, "to", end_of_day=True)
        if mjd_min is not None and mjd_max is not None and mjd_min > mjd_max:
            raise InvalidInputError("'from' is later than 'to'", parameter="from")
        return MeasurementSetFilter(
            stages=self.stages or None, statuses=self.statuses or None,
            mjd_min=mjd_min, mjd_max=mjd_max, path_contains=self.search or None,
            calibration_applied={"yes": True, "no": False}.get(self.cal),
            stuck_cutoff=stuck_cutoff if self.stuck else None)

    def page_request(self) -> PageRequest:
        if self.sort not in MeasurementSetRepository.SORT_KEYS:
            raise InvalidInputError(
                f"cannot sort by {self.sort!r}; choose one of: "
                f"{', '.join(MeasurementSetRepository.SORT_KEYS)}", parameter="sort")
        if self.order not in ("asc", "desc"):
            raise InvalidInputError("order must be 'asc' or 'desc'", parameter="order")
        return PageRequest(offset=(self.page - 1) * self.size, limit=self.size,
                           sort=self.sort, descending=self.order == "desc")
