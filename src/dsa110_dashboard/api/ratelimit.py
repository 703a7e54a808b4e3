"""Per-client pace of the heavy endpoints (decision 0068): a token bucket per API token,
else per client address, in each server process.

A client may make ``burst`` heavy requests at once, then one every ``60 / per_minute``
seconds; one more is refused before any work with 429 and the seconds until a request
would be allowed (``Retry-After``). The stream slots (decision 0022) bound what the whole
server does at once; this bounds what one client takes of it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from ..errors import DashboardError

#: Buckets remembered; the least recently used go first (a flood of addresses cannot
#: grow memory without bound).
MAX_CLIENTS = 10_000


class RateLimitedError(DashboardError):
    http_status = 429
    title = "Too many requests"
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, per_minute: int, burst: int, clock=time.monotonic):  # noqa: ANN001
        self.per_minute = per_minute
        self.burst = burst
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def take(self, client: str) -> float:
        """Take one request for ``client``: 0.0 when allowed, else the seconds to wait."""
        if not self.enabled:
            return 0.0
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / rate
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
        return wait

    def check(self, client: str, what: str) -> None:
        wait = self.take(client)
        if wait > 0:
            raise RateLimitedError(
                f"too many {what} requests from {client}: at most {self.per_minute} a "
                f"minute after a burst of {self.burst} (DSA110_DASH_RATE_LIMIT_HEAVY, "
                "DSA110_DASH_RATE_LIMIT_BURST); try again later",
                retry_after=max(1, math.ceil(wait)))
