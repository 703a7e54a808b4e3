"""A one-line progress bar on standard error for long commands."""

from __future__ import annotations

import sys
import time


class ProgressLine:
    """Callable ``(done, total, what)``; redraws at most once a second, and at the end."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int, what: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self.last < 1.0:
            return
        self.last = now
        pct = 100.0 * done / total if total else 100.0
        end = "" if done < total else "\n"
        print(f"\r{what:<12.12} {done:>12,}/{total:<12,} {pct:5.1f}%  {now - self.start:7.1f} s",
              end=end, file=self.stream, flush=True)
