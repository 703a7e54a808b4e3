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
and how many came, and a truncated export's file name ends ``-first<N>of<total>.csv``.
A client that disconnects stops the producer.

The body is plain CSV (``pandas.read_csv`` reads it without options): a header row,
then one row per image, empty for unknown values. Times are ISO 8601 UTC to the
millisecond (``obs_time_utc`` with its ``mjd`` beside it, ``created_at_utc``: when the
pipeline wrote the image); units are in the column names (``noise_jy`` is Jy/beam,
``imsize_x_px`` pixels).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import threading

import pandas as pd

from tornado.iostream import StreamClosedError

from ..repositories.images import ImageRepository
from ..repositories.paging import PageRequest
from ..repositories.records import SECONDS_PER_DAY, UNIX_EPOCH_MJD
from ..viewmodels.image_filters import parse
from .base import ApiHandler

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
QUEUE_CHUNKS = 4
_DONE = object()
#: The export's columns, in order: name in the CSV <- column of ``iter_rows`` (None: made
#: here). Times are ISO 8601 UTC, an observation time with its MJD beside it; a unit
#: is in the name where there is one.
COLUMNS = {"id": "id", "obs_time_utc": None, "mjd": "mjd", "mjd_source": "mjd_source",
           "type": "type", "field_name": "field_name", "center_ra_deg": "center_ra_deg",
           "center_dec_deg": "center_dec_deg", "noise_jy": "noise_jy",
           "dynamic_range": "dynamic_range", "beam_major_arcsec": "beam_major_arcsec",
           "beam_minor_arcsec": "beam_minor_arcsec", "beam_pa_deg": "beam_pa_deg",
           "qa_grade": "qa_grade", "freq_ghz": "freq_ghz", "bandwidth_mhz": "bandwidth_mhz",
           "integration_sec": "integration_sec", "imsize_x_px": "imsize_x",
           "imsize_y_px": "imsize_y", "cellsize_arcsec": "cellsize_arcsec",
           "pbcor": "pbcor", "format": "format", "created_at_utc": None, "path": "path",
           "ms_path": "ms_path"}


def iso_utc(unix_seconds: pd.Series) -> pd.Series:
    """ISO 8601 UTC to the millisecond (``2025-10-17T08:00:00.000Z``); "" when unknown."""
    stamps = pd.to_datetime(pd.to_numeric(unix_seconds, errors="coerce"), unit="s",
                            utc=True, errors="coerce").dt.round("ms")
    text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
    return text.where(stamps.notna(), "")


def csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _records(frame: pd.DataFrame) -> list[list]:
    mjd = pd.to_numeric(frame["mjd"], errors="coerce")
    made = {"obs_time_utc": iso_utc((mjd - UNIX_EPOCH_MJD) * SECONDS_PER_DAY),
            "created_at_utc": iso_utc(frame["created_at"])}
    out = frame.assign(**{name: made[name] if source is None else frame[source]
                          for name, source in COLUMNS.items()})[list(COLUMNS)]
    return [["" if v is None or (isinstance(v, float) and v != v) else v for v in row]
            for row in out.itertuples(index=False)]


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
        # A truncated file says so in its name: a note inside would not be plain CSV.
        part = f"-first{cap}of{total}" if total > cap else ""
        self.set_header("Content-Disposition",
                        f'attachment; filename="dsa110-images-{stamp}{part}.csv"')
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
