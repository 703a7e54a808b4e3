"""``GET /api/v1/qa/trends?metric=&from=&to=&dec_min=&dec_max=&bins=``: one QA metric
over time in equal time bins (decision 0057).

``metric`` is one of the QA page's metrics (``repositories.qa_trends.METRICS``);
``from``/``to`` an MJD or an ISO UTC date/time (default: the last 7 days to now);
``bins`` 1-5000 (default 100). Each bin has its image count, how many have the metric,
median, min, max and grades; a bin without a measured value has nulls, not zeros. A bad
parameter is a 400 naming it (``details.parameter``).
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from ..errors import InvalidInputError
from ..queries.image_query import parse_time
from ..repositories.qa_trends import MAX_BINS, METRICS, QATrends, check_range
from ..science.times import unix_to_mjd
from .images import parse_float, parse_int
from .operators import OperatorApiHandler
from .spec import Loose, Op, Query

DEFAULT_DAYS = 7.0
DEFAULT_BINS = 100


class TrendsQuery(Query):
    metric: str = Field(max_length=60, description="one of the QA page's metrics")
    time_from: str | None = Field(None, alias="from", max_length=40,
                                  description="MJD or ISO UTC (default 7 days before to)")
    time_to: str | None = Field(None, alias="to", max_length=40,
                                description="MJD or ISO UTC (default now)")
    bins: int | None = Field(None, ge=1, le=MAX_BINS, description=f"default {DEFAULT_BINS}")
    dec_min: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    dec_max: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)


class Trends(Loose):
    from_mjd: float
    to_mjd: float
    bins: Any


class QATrendsHandler(OperatorApiHandler):
    operations = {"get": Op("One QA metric over time in equal time bins",
                            query=TrendsQuery, response=Trends, tag="qa")}

    async def get(self) -> None:
        metric = self.get_query_argument("metric", "") or ""
        if metric not in METRICS:
            check_range(metric, 0.0, 1.0, 1)  # names the metric and its choices
        end = parse_time(self.get_query_argument("to", "") or "", "to", end_of_day=True)
        end = unix_to_mjd(time.time()) if end is None else end
        start = parse_time(self.get_query_argument("from", "") or "", "from")
        start = end - DEFAULT_DAYS if start is None else start
        bins = self.argument("bins", parse_int("bins", 1, MAX_BINS), DEFAULT_BINS)
        dec_min = self.argument("dec_min", parse_float("dec_min", -90, 90), None)
        dec_max = self.argument("dec_max", parse_float("dec_max", -90, 90), None)
        check_range(metric, start, end, bins)
        if dec_min is not None and dec_max is not None and dec_min > dec_max:
            raise InvalidInputError("dec_max must be at least dec_min", parameter="dec_max")
        body = await self.blocking(QATrends(self.ctx.db).binned, metric, start, end, bins,
                                   dec_min, dec_max)
        self.write_json({**body, "from_mjd": start, "to_mjd": end,
                         "dec_min": dec_min, "dec_max": dec_max})
