
"""``GET /api/v1/images.csv?<the /images page's filter arguments>``: every matching image.

The arguments are the page's URL arguments, parsed by the same codec
(``queries.image_query``), so "Export CSV" on the page exports exactly what the
page shows, in its order, all pages (``page``, ``size`` and ``view`` are accepted and
ignored). A bad value -> 400 JSON naming the parameter.

Rows stream from ``ImageRepository.iter_rows`` (one statement, a lazy cursor): a chunk
of rows is read and formatted on the stream pool, then written and flushed (chunked
transfer encoding) before the next is read, so memory stays bounded whatever the size
and no thread waits for a slow client (decision 0022). An export holds one of the
``DSA110_DASH_EXPORT_CONCURRENCY`` stream slots (beyond them: 503 with Retry-After); a
client that takes no chunk for ``DSA110_DASH_TIMEOUT_SLOW_CLIENT`` seconds is dropped,
and one that disconnects stops the export. A database error after the first chunk
breaks the transfer (no clean end that would pass a truncated file off as whole).
HEAD answers the headers (with the counts) and reads no rows.

At most ``settings.export_max_rows`` (``DSA110_DASH_EXPORT_MAX_ROWS``) rows are
written: the headers ``X-Total-Rows``, ``X-Export-Rows``, ``X-Export-Max-Rows`` and
``X-Export-Truncated`` say how many matched and how many came, and a truncated
export's file name ends ``-first<N>of<total>.csv``.

The body is plain CSV (``pandas.read_csv`` reads it without options): a header row,
then one row per image, empty for unknown values. Times are ISO 8601 UTC to the
millisecond (``obs_time_utc`` with its ``mjd`` beside it, ``created_at_utc``: when the
pipeline wrote the image); units are in the column names (``noise_jy`` is Jy/beam,
``imsize_x_px`` pixels).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pandas as pd
from pydantic import Field

from ..queries.image_query import parse
from ..repositories.images import ImageRepository
from ..repositories.paging import PageRequest
from ..science.times import iso_ms_column, mjd_to_unix
from .base import ApiHandler
from .image_list import ImageFilterArgs
from .spec import Op

CHUNK_ROWS = 2000
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


def csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _records(frame: pd.DataFrame) -> list[list]:
    mjd = pd.to_numeric(frame["mjd"], errors="coerce")
    made = {"obs_time_utc": iso_ms_column(mjd_to_unix(mjd)),
            "created_at_utc": iso_ms_column(frame["created_at"])}
    out = frame.assign(**{name: made[name] if source is None else frame[source]
                          for name, source in COLUMNS.items()})[list(COLUMNS)]
    return [["" if v is None or (isinstance(v, float) and v != v) else v for v in row]
            for row in out.itertuples(index=False)]


def _next_chunk(chunks: Iterator[pd.DataFrame], room: int) -> tuple[str, int] | None:
    """Blocking: the next chunk as CSV text of at most ``room`` rows; None at the end."""
    frame = next(chunks, None)
    if frame is None:
        return None
    frame = frame.iloc[:room]
    return csv_text(_records(frame)), len(frame)


def _close(chunks: Iterator[pd.DataFrame]) -> None:
    close = getattr(chunks, "close", None)
    if close:  # gives the cursor's connection back to the pool
        close()


class ExportArgs(ImageFilterArgs):
    page: int | None = Field(None, ge=1, description="accepted and ignored (the page's URL)")
    size: int | None = Field(None, ge=1, description="accepted and ignored")
    view: str | None = Field(None, max_length=10, description="accepted and ignored")


class ImagesCsvHandler(ApiHandler):
    operations = {"get": Op("Every image the filters leave, as CSV (streamed)",
                            query=ExportArgs, media=("text/csv",), heavy="export",
                            tag="images", headers={
                                "X-Total-Rows": "images that match",
                                "X-Export-Rows": "rows in this file",
                                "X-Export-Truncated": "true when capped at "
                                                      "DSA110_DASH_EXPORT_MAX_ROWS"})}

    async def get(self) -> None:
        args = {k: v for k, v in self.request.query_arguments.items() if k != "theme"}
        query = parse(args, max_size=self.ctx.settings.page_size_max)
        flt, order = query.image_filter(), query.page_request(paged=False)
        cap = self.ctx.settings.export_max_rows
        repo = ImageRepository(self.ctx.db)
        with self.capacity.stream_slot("export"):
            total = (await self.stream_work(repo.page, flt, PageRequest(limit=1))).total
            self._set_headers(total, cap)
            if await self.headers_only():
                return
            chunks = await self.stream_work(repo.iter_rows, flt, order, CHUNK_ROWS)
            try:
                await self._send(chunks, cap)
            finally:
                await self.stream_work(_close, chunks)

    def _set_headers(self, total: int, cap: int) -> None:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        # A truncated file says so in its name: a note inside would not be plain CSV.
        part = f"-first{cap}of{total}" if total > cap else ""
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition",
                        f'attachment; filename="dsa110-images-{stamp}{part}.csv"')
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Total-Rows", str(total))
        self.set_header("X-Export-Rows", str(min(total, cap)))
        self.set_header("X-Export-Max-Rows", str(cap))
        self.set_header("X-Export-Truncated", "true" if total > cap else "false")

    async def _send(self, chunks: Iterator[pd.DataFrame], cap: int) -> None:
        """One chunk read, then written, at a time: no thread waits for the client."""
        if not await self.send_chunk(csv_text([list(COLUMNS)])):
            return
        written = 0
        while written < cap:
            chunk = await self.stream_work(_next_chunk, chunks, cap - written)
            if chunk is None:
                return
            text, rows = chunk
            written += rows
            if not await self.send_chunk(text):
                return
