
"""``GET /api/v1/images/{id}/fits``: download an image's FITS file, streamed in chunks.

- 200 ``application/fits``, ``Content-Disposition: attachment; filename=...`` (the file's
  own name), ``Content-Length``, ``Last-Modified``, a strong ``ETag`` from the file's
  identity (path, size, mtime) and ``Cache-Control: private, no-cache`` (keep it, but
  ask before reuse: a re-imaged file keeps its URL). ``If-None-Match`` -> 304.
  The body is read 1 MiB at a time on the stream pool and flushed to the client
  between reads, so a 160 MB image never sits in memory and no thread waits for a
  slow client; a client that goes away stops the copy, one that takes nothing for
  ``DSA110_DASH_TIMEOUT_SLOW_CLIENT`` is dropped (decision 0022). HEAD: the same
  headers, no body.
- 503 JSON with ``Retry-After`` when every stream slot (``DSA110_DASH_EXPORT_CONCURRENCY``,
  shared with the CSV export) is taken.
- 403 JSON outside the data roots (checked before existence, so nothing is revealed
  about files elsewhere), 404 JSON unknown id or missing file, 400 JSON bad id.
- 422 JSON for a CASA image (a directory: "cannot be downloaded as one file yet"), any
  other non-regular file (FIFO, device), which would block or never end, and a file that
  is not FITS (it does not start with ``SIMPLE  =``): only FITS files are served, whatever
  a row points at. The dashboard's own database and cache are 403 (``files.DataRoots``).
"""

from __future__ import annotations

import hashlib
import os
import stat
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote

from ..errors import ImageReadError, NotFoundError
from ..errors import NotDownloadableError
from ..fits.reader import has_fits_signature
from .images import ImageFileHandler, header_safe
from .spec import Op

CHUNK_BYTES = 1024 * 1024


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback name plus the exact UTF-8 name."""
    fallback = header_safe(filename, 150).replace('"', "'").replace("\\", "_")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_etag(path: Path, st: os.stat_result) -> str:
    blob = f"{path}\0{st.st_size}\0{st.st_mtime_ns}".encode()
    return '"f-' + hashlib.sha256(blob).hexdigest()[:40] + '"'





class FitsDownloadHandler(ImageFileHandler):
    operations = {"get": Op("Download the image's FITS file (streamed)",
                            media=("application/fits",), empty=(304,), errors=(422,),
                            heavy="FITS download", tag="images")}

    async def get(self, raw_id: str) -> None:
        record, path = await self.image_file(raw_id, must_exist=True)
        if (record.format or "").lower() == "casa":
            raise _casa(path)
        st = await self.blocking(_stat, path)
        if stat.S_ISDIR(st.st_mode):
            raise _casa(path)
        if not stat.S_ISREG(st.st_mode):
            raise NotDownloadableError(f"{path.name} is not a regular file")
        if self.not_modified(file_etag(path, st), "private, no-cache"):
            return
        with self.capacity.stream_slot("download"):
            fileobj = await self.stream_work(_open, path)
            try:
                self.set_header("Content-Type", "application/fits")
                self.set_header("Content-Disposition",
                                content_disposition("attachment", path.name))
                self.set_header("Content-Length", str(st.st_size))
                self.set_header("Last-Modified", formatdate(st.st_mtime, usegmt=True))
                self.set_header("X-Content-Type-Options", "nosniff")
                if await self.headers_only():
                    return
                remaining = st.st_size
                while remaining > 0:
                    chunk = await self.stream_work(fileobj.read,
                                                   min(CHUNK_BYTES, remaining))
                    if not chunk:  # truncated while we sent it: the transfer breaks
                        raise ImageReadError(f"{path.name} shrank while it was being sent")
                    remaining -= len(chunk)
                    if not await self.send_chunk(chunk):  # gone or too slow: stop reading
                        return
            finally:
                fileobj.close()


def _casa(path: Path) -> NotDownloadableError:
    return NotDownloadableError(
        f"{path.name} is a CASA image, which is a directory; CASA image directories "
        "cannot be downloaded as one file yet")


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError:  # removed since confined() looked
        raise NotFoundError(f"file {path} does not exist") from None


def _open(path: Path):  # noqa: ANN202 - a binary file object
    try:
        fileobj = open(path, "rb")  # noqa: SIM115 - closed by the handler after streaming
    except FileNotFoundError:
        raise NotFoundError(f"file {path} does not exist") from None
    except PermissionError as exc:
        raise ImageReadError(f"File unreadable: {exc}") from None
    if not has_fits_signature(fileobj.read(80)):  # the first card
        fileobj.close()
        raise NotDownloadableError(f"{path.name} is not a FITS file; only FITS files are "
                                   "downloaded")
    fileobj.seek(0)
    return fileobj
