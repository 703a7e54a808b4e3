"""How much work the HTTP endpoints do at once, per server process (decision 0022).

- Interactive work (thumbnails, cutouts, lightcurves, lookups, health) runs on its own
  pool of ``DSA110_DASH_API_THREADS`` threads: never on the event loop, never queued
  behind an export.
- Streamed responses (the CSV export, FITS downloads) hold a *stream slot*: at most
  ``DSA110_DASH_EXPORT_CONCURRENCY`` at once; one more is refused with 503 and
  ``Retry-After`` before it reads anything. Each reads one chunk at a time on the
  stream pool (one thread per slot, so a stream never waits for another's thread) and
  writes it between reads: a thread is busy only while a chunk is read, never while a
  client is slow to take it.
- Page work stays on Panel's own pool (``pn.config.nthreads``).

The pools are made on first use in each process: threads do not survive the fork of
``--num-procs``.
"""

from __future__ import annotations
from .ratelimit import RateLimiter

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from ..errors import ServerBusyError
from ..settings import Settings

#: What a refused client is told to wait (Retry-After, seconds): a hint, about the time
#: an export of 100,000 rows takes, not a timeout.
RETRY_AFTER_SECONDS = 10


class Capacity:
    """The endpoints' worker pools and stream slots of one server."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._interactive: ThreadPoolExecutor | None = None
        self._stream: ThreadPoolExecutor | None = None
        self._streams = 0  # slots taken; only touched on the event loop
        #: Pace of the heavy endpoints per token or address (decision 0068).
        self.heavy = RateLimiter(settings.rate_limit_heavy, settings.rate_limit_burst)

    def _pools(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        with self._lock:
            if self._pid != os.getpid():
                self._interactive = ThreadPoolExecutor(self.settings.api_threads,
                                                       thread_name_prefix="dash-api")
                self._stream = ThreadPoolExecutor(self.settings.export_concurrency,
                                                  thread_name_prefix="dash-stream")
                self._streams = 0
                self._pid = os.getpid()
            return self._interactive, self._stream

    @property
    def interactive(self) -> ThreadPoolExecutor:
        return self._pools()[0]

    @property
    def stream(self) -> ThreadPoolExecutor:
        return self._pools()[1]

    @contextmanager
    def stream_slot(self, what: str) -> Iterator[None]:
        """Hold one stream slot for the block; ServerBusyError (503) when none is free."""
        self._pools()
        limit = self.settings.export_concurrency
        if self._streams >= limit:
            raise ServerBusyError(
                f"all {limit} slots for exports and downloads are in use "
                f"(DSA110_DASH_EXPORT_CONCURRENCY); try the {what} again in "
                f"{RETRY_AFTER_SECONDS} s", retry_after=RETRY_AFTER_SECONDS)
        self._streams += 1
        try:
            yield
        finally:
            self._streams -= 1
