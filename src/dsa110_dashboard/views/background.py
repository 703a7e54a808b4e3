"""How views run blocking work (queries, FITS reads) without freezing other users.

One pattern everywhere: the callback is a plain blocking function; in a served session
Panel runs it on its worker threads (``pn.config.nthreads``, set by app.py) and hands the
resulting model changes to the event loop under the document lock. Coroutine callbacks
that await a thread and then touch models raced with Bokeh's document lock in practice
("_pending_writes should be non-None"), so views do not use them.

- ``load_in_background``: the first load of a view (and an optional periodic refresh).
- ``run_in_background``: work triggered later (a changed filter, a button), from a
  widget callback, a param watcher or the URL sync, whichever thread that runs on.

Worker threads run concurrently: a view whose fetches can overlap must make sure an
older result does not overwrite a newer one (see ``Latest``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import panel as pn


def is_served() -> bool:
    """Whether this code runs in a server session (not a notebook or a test)."""
    return pn.state.curdoc is not None and pn.state.curdoc.session_context is not None


def _threads_available() -> bool:
    return pn.state._thread_pool is not None


def load_in_background(callback: Callable[[], None], *, every_ms: int | None = None) -> None:
    """Run ``callback`` on a worker thread once the page has loaded, and then every
    ``every_ms`` milliseconds; outside a server (a notebook) run it now, once."""
    if not is_served():
        callback()
        return
    # Without worker threads (nthreads unset) Panel cannot run a threaded onload.
    pn.state.onload(callback, threaded=_threads_available())
    if every_ms:
        pn.state.add_periodic_callback(callback, period=every_ms)


def run_in_background(callback: Callable[[], None]) -> None:
    """Run ``callback`` on a worker thread now (in a served session with ``nthreads``);
    otherwise (a notebook, a test) run it here, before returning."""
    if is_served() and _threads_available():
        pn.state.execute(callback, schedule="thread")
    else:
        callback()


class Latest:
    """Which of several overlapping requests is the newest, across threads.

    ``token = latest.start()`` before a fetch; ``latest.is_current(token)`` before
    showing its result (hold ``latest.lock`` around the check and the apply, so a
    newer result cannot be applied between the two)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._generation = 0

    def start(self) -> int:
        with self.lock:
            self._generation += 1
            return self._generation

    def is_current(self, token: int) -> bool:
        with self.lock:
            return token == self._generation
