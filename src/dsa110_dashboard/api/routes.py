"""The API's route table: every endpoint's path template and handler, bound to one
AppContext. The OpenAPI document is built from this table and the handlers'
declarations (``spec``, decision 0067): add an endpoint here and declare its ``Op``s in
its handler, and it is documented, validated and fuzzed."""

from __future__ import annotations

from ..context import AppContext
from ..metrics.routes import route_name
from .batches import BatchCancelHandler, BatchesHandler, BatchHandler
from .cache import CacheClearHandler, CacheHandler, ServicesHandler
from .calibration import ApplyListHandler, CalTablesHandler
from .capacity import Capacity
from .cutouts import CutoutHandler
from .docs import DOCS_STATIC, DocsHandler, NoRouteHandler, OpenApiHandler, docs_static_path
from .downloads import FitsDownloadHandler
from .exports import ImagesCsvHandler
from .flags import ImageFlagsHandler
from .health import HealthHandler
from .image_list import ImageHandler, ImageProvenanceHandler, ImagesHandler
from .jobs import (
    JobCancelHandler,
    JobHandler,
    JobLogsHandler,
    JobRerunHandler,
    JobsHandler,
    RunLogsHandler,
)
from .lightcurves import LightcurveHandler
from .measurement_sets import (
    MeasurementSetCalibrationHandler,
    MeasurementSetHandler,
    MeasurementSetsHandler,
)
from .metrics import MetricsHandler
from .qa import ImageQAHandler, MeasurementSetQAHandler
from .qa_trends import QATrendsHandler
from .queue import QueueHandler
from .source_list import SourceHandler, SourcesHandler, SourceVariabilityHandler
from .spec import Route
from .stats import StatsHandler
from .thumbnails import ThumbnailHandler

#: Every endpoint, most specific first where templates overlap.
ROUTES: tuple[Route, ...] = (
    Route("/metrics", MetricsHandler, slash=False),
    Route("/api/v1/health", HealthHandler),
    Route("/api/v1/services", ServicesHandler),
    Route("/api/v1/cache", CacheHandler),
    Route("/api/v1/cache/clear", CacheClearHandler),
    Route("/api/v1/stats", StatsHandler),
    Route("/api/v1/images.csv", ImagesCsvHandler, slash=False),
    Route("/api/v1/images", ImagesHandler),
    Route("/api/v1/images/{id}/thumbnail.png", ThumbnailHandler, slash=False),
    Route("/api/v1/images/{id}/fits", FitsDownloadHandler, slash=False),
    Route("/api/v1/images/{id}/cutout.{format:png|fits}", CutoutHandler, slash=False),
    Route("/api/v1/images/{id}/provenance", ImageProvenanceHandler),
    Route("/api/v1/images/{id}/flags", ImageFlagsHandler),
    Route("/api/v1/images/{id}", ImageHandler),
    Route("/api/v1/sources", SourcesHandler),
    Route("/api/v1/sources/{source_id}/lightcurve", LightcurveHandler),
    Route("/api/v1/sources/{source_id}/variability", SourceVariabilityHandler),
    Route("/api/v1/sources/{source_id}", SourceHandler),
    Route("/api/v1/jobs", JobsHandler),
    Route("/api/v1/jobs/{job}/logs", JobLogsHandler),
    Route("/api/v1/jobs/{job}/rerun", JobRerunHandler),
    Route("/api/v1/jobs/{job}/cancel", JobCancelHandler),
    Route("/api/v1/jobs/{job}", JobHandler),
    Route("/api/v1/logs/{run_id}", RunLogsHandler),
    Route("/api/v1/ms", MeasurementSetsHandler),
    Route("/api/v1/ms/{ms}/calibration", MeasurementSetCalibrationHandler),
    Route("/api/v1/ms/{ms}", MeasurementSetHandler),
    Route("/api/v1/queue", QueueHandler),
    Route("/api/v1/qa/image/{id}", ImageQAHandler),
    Route("/api/v1/qa/ms/{ms}", MeasurementSetQAHandler),
    Route("/api/v1/qa/trends", QATrendsHandler),
    Route("/api/v1/cal/tables", CalTablesHandler),
    Route("/api/v1/cal/applylist", ApplyListHandler),
    Route("/api/v1/batch", BatchesHandler),
    Route("/api/v1/batch/{batch}/cancel", BatchCancelHandler),
    Route("/api/v1/batch/{batch}", BatchHandler),
    Route("/api/v1/openapi.json", OpenApiHandler, slash=False),
    Route("/api/v1/docs", DocsHandler),
)


def api_patterns(ctx: AppContext) -> list[tuple]:
    kw = {"ctx": ctx, "capacity": Capacity(ctx.settings)}
    return [
        # ``route``: the latency histogram's label (metrics.routes).
        *[(route.pattern, route.handler, {**kw, "route": route_name(route.pattern)})
          for route in ROUTES],
        (rf"{DOCS_STATIC}/(.*)", docs_static_handler(), {"path": docs_static_path()}),
        # Anything else under /api/ is a JSON 404, not the page server's HTML one.
        (r"/api/.*", NoRouteHandler, kw),  # labelled "other" in the metrics
    ]


def docs_static_handler() -> type:
    from tornado.web import StaticFileHandler

    return StaticFileHandler
