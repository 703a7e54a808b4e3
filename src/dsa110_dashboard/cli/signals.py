"""SIGTERM as a request to stop, for the long-running commands (worker, demo --live)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stop_on_sigterm(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop`` on SIGTERM (as systemd and `make run` stop us); Ctrl-C ends quietly."""
    previous = signal.signal(signal.SIGTERM, lambda *_: stop())
    try:
        yield
    except KeyboardInterrupt:
        stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
