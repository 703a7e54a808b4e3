"""``GET /api/v1/images.csv?<the /images page's filter arguments>``: every matching image.

The arguments are the page's URL arguments, parsed by the same codec
(``viewmodels.image_filters``), so "Export CSV" on the page exports exactly what the
page shows, in its order, all pages (``page``, ``size`` and ``view`` are accepted and
ignored). A bad value -> 400 JSON naming the parameter.

Rows stream from ``ImageRepository.iter_rows`` (one statement, a lazy cursor) in a
single producer thread that hands CSV chunks to the handler through a bounded queue;
the handler writes and flushes each chunk (chunked transfer encoding), so memory stays
bounded whatever the size. At most ``settings.export_max_rows``
(``DSA110_DASH_EXPORT_MAX_ROWS``) rows are written: the headers ``X-Total-Rows``,
``X-Export-Rows``, ``X-Export-Max-Rows`` and ``X-Export-Truncated`` say how many matched
and how many came, and a truncated export ends with a ``# truncated ...`` line. A
client that disconnects stops the producer.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import threading

from tornado.iostream import StreamClosedError

from ..repositories.images import ImageRepository
from ..repositories.paging import PageRequest
from ..viewmodels.image_filters import parse
from .base import ApiHandler

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
QUEUE_CHUNKS = 4
_DONE = object()
#: The export's columns, in order (the images table, then derived ones).
COLUMNS = ("id", "obs_time_utc", "mjd", "mjd_source", "type", "field_name", "center_ra_deg",
           "center_dec_deg", "noise_jy", "dynamic_range", "beam_major_arcsec",
           "beam_minor_arcsec", "beam_pa_deg", "qa_grade", "freq_ghz", "bandwidth_mhz",
           "integration_sec", "imsize_x", "imsize_y", "cellsize_arcsec", "pbcor", "format",
           "created_at", "path", "ms_path")


def _utc(mjd) -> str:
    try:
        unix = (float(mjd) - 40587.0) * 86400.0
        return dt.datetime.fromtimestamp(unix, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _records(frame) -> list[list]:
    frame = frame.assign(obs_time_utc=[_utc(v) for v in frame["mjd"]])
    out = []
    for row in frame[list(COLUMNS)].itertuples(index=False):
        out.append(["" if v is None or (isinstance(v, float) and v != v) else v for v in row])
    return out


class ImagesCsvHandler(ApiHandler):
    _stop: threading.Event

    def on_connection_close(self) -> None:
        if hasattr(self, "_stop"):
            self._stop.set()

    async def get(self) -> None:
        args = {k: v for k, v in self.request.query_arguments.items() if k != "theme"}
        query = parse(args)
        flt, order = query.image_filter(), query.page_request(paged=False)
        cap = self.ctx.settings.export_max_rows
        repo = ImageRepository(self.ctx.db)
        total = (await self.blocking(repo.page, flt, PageRequest(limit=1))).total
        rows = min(total, cap)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition",
                        f'attachment; filename="dsa110-images-{stamp}.csv"')
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Total-Rows", str(total))
        self.set_header("X-Export-Rows", str(rows))
        self.set_header("X-Export-Max-Rows", str(cap))
        self.set_header("X-Export-Truncated", "true" if total > cap else "false")

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        self._stop = threading.Event()
        stop = self._stop

        def put(item) -> None:
            asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

        def produce() -> None:
            written = 0
            chunks = repo.iter_rows(flt, order, chunk_size=CHUNK_ROWS)
            try:
                put(csv_text([list(COLUMNS)]))
                for frame in chunks:
                    if stop.is_set():
                        return
                    frame = frame.iloc[: max(0, cap - written)]
                    written += len(frame)
                    put(csv_text(_records(frame)))
                    if written >= cap:
                        break
                if total > cap:
                    put(f"# truncated at {cap} of {total} rows "
                        "(DSA110_DASH_EXPORT_MAX_ROWS)\n")
            except BaseException as exc:  # noqa: BLE001 - handed to the handler
                put(exc)
            finally:
                close = getattr(chunks, "close", None)
                if close:
                    close()
                put(_DONE)

        producer = loop.run_in_executor(None, produce)
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    # Headers are sent already: end the body early and log it.
                    log.error("CSV export failed after it started", exc_info=item)
                    break
                self.write(item)
                await self.flush()
        except StreamClosedError:
            stop.set()
        finally:
            stop.set()
            while not producer.done():  # let the producer see the flag and finish
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    await asyncio.sleep(0.01)
        if not self._finished:
            self.finish()
