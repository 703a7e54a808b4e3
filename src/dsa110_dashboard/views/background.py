"""How views run blocking work (queries, FITS reads) without freezing other users.

One pattern everywhere: the callback is a plain blocking function; in a served session
Panel runs it on its worker threads (``pn.config.nthreads``, set by app.py) and hands the
resulting model changes to the event loop under the document lock. Coroutine callbacks
that await a thread and then touch models raced with Bokeh's document lock in practice
("_pending_writes should be non-None"), so views do not use them.
"""

from __future__ import annotations

from collections.abc import Callable

import panel as pn


def is_served() -> bool:
    """Whether this code runs in a server session (not a notebook or a test)."""
    return pn.state.curdoc is not None and pn.state.curdoc.session_context is not None


def load_in_background(callback: Callable[[], None], *, every_ms: int | None = None) -> None:
    """Run ``callback`` on a worker thread once the page has loaded, and then every
    ``every_ms`` milliseconds; outside a server (a notebook) run it now, once."""
    if not is_served():
        callback()
        return
    pn.state.onload(callback, threaded=True)
    if every_ms:
        pn.state.add_periodic_callback(callback, period=every_ms)
