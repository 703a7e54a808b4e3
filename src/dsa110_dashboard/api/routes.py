"""URL patterns of the HTTP endpoints, bound to one AppContext."""

from __future__ import annotations

from ..context import AppContext
from .cache import CacheClearHandler, CacheHandler, ServicesHandler
from .batches import BATCH, BatchCancelHandler, BatchesHandler, BatchHandler
from .calibration import ApplyListHandler, CalTablesHandler
from ..metrics.routes import route_name
from .capacity import Capacity
from .cutouts import CutoutHandler
from .downloads import FitsDownloadHandler
from .exports import ImagesCsvHandler
from .flags import ImageFlagsHandler
from .health import HealthHandler
from .images import ID
from .jobs import (
    JOB,
    JobCancelHandler,
    JobHandler,
    JobLogsHandler,
    JobRerunHandler,
    JobsHandler,
)
from .lightcurves import LightcurveHandler
from .metrics import MetricsHandler
from .measurement_sets import (
    MS,
    MeasurementSetCalibrationHandler,
    MeasurementSetHandler,
    MeasurementSetsHandler,
)
from .qa_trends import QATrendsHandler
from .queue import QueueHandler
from .thumbnails import ThumbnailHandler


def api_patterns(ctx: AppContext) -> list[tuple]:
    """Each endpoint with its route's name (``route``: the latency histogram's label)."""
    kw = {"ctx": ctx, "capacity": Capacity(ctx.settings)}
    return [(pattern, handler, {**args, "route": route_name(pattern)})
            for pattern, handler, args in _patterns(kw)]


def _patterns(kw: dict) -> list[tuple]:
    return [
        (r"/metrics", MetricsHandler, kw),
        (r"/api/v1/health/?", HealthHandler, kw),
        (r"/api/v1/services/?", ServicesHandler, kw),
        (r"/api/v1/cache/?", CacheHandler, kw),
        (r"/api/v1/cache/clear/?", CacheClearHandler, kw),
        (r"/api/v1/images\.csv", ImagesCsvHandler, kw),
        (rf"/api/v1/images/{ID}/thumbnail\.png", ThumbnailHandler, kw),
        (rf"/api/v1/images/{ID}/fits", FitsDownloadHandler, kw),
        (rf"/api/v1/images/{ID}/cutout\.(png|fits)", CutoutHandler, kw),
        (rf"/api/v1/images/{ID}/flags/?", ImageFlagsHandler, kw),
        (r"/api/v1/sources/([^/]+)/lightcurve/?", LightcurveHandler, kw),
        (r"/api/v1/jobs/?", JobsHandler, kw),
        (rf"/api/v1/jobs/{JOB}/logs/?", JobLogsHandler, kw),
        (rf"/api/v1/jobs/{JOB}/rerun/?", JobRerunHandler, kw),
        (rf"/api/v1/jobs/{JOB}/cancel/?", JobCancelHandler, kw),
        (rf"/api/v1/jobs/{JOB}/?", JobHandler, kw),
        (r"/api/v1/ms/?", MeasurementSetsHandler, kw),
        (rf"/api/v1/ms/{MS}/calibration/?", MeasurementSetCalibrationHandler, kw),
        (rf"/api/v1/ms/{MS}/?", MeasurementSetHandler, kw),
        (r"/api/v1/queue/?", QueueHandler, kw),
        (r"/api/v1/cal/tables/?", CalTablesHandler, kw),
        (r"/api/v1/cal/applylist/?", ApplyListHandler, kw),
        (r"/api/v1/qa/trends/?", QATrendsHandler, kw),
        (r"/api/v1/batch/?", BatchesHandler, kw),
        (rf"/api/v1/batch/{BATCH}/cancel/?", BatchCancelHandler, kw),
        (rf"/api/v1/batch/{BATCH}/?", BatchHandler, kw),
    ]
