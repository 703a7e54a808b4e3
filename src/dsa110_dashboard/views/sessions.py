"""How many page sessions this process has open: the one count for the /health page's
process card and /metrics' ``dsa110_dash_sessions_open`` (app.py wires both).

Counted with Panel's documented session hooks (``pn.state.on_session_created`` /
``on_session_destroyed``) rather than by reaching into Bokeh's server: a session counts
from its creation until Bokeh discards it (its tab closed, or unused past
``unused_session_lifetime_milliseconds``).
"""

from __future__ import annotations

import threading

import panel as pn

_lock = threading.Lock()
_open: set[str] = set()
_installed = {"done": False}


def _created(context) -> None:  # noqa: ANN001 - Bokeh's session context
    with _lock:
        _open.add(context.id)


def _destroyed(context) -> None:  # noqa: ANN001 - Bokeh's session context
    with _lock:
        _open.discard(context.id)


def install() -> None:
    """Register the hooks once per process (the composition root calls it, before the
    server starts). Panel refuses them from inside a session (``panel serve app.py``
    without ``--plugins app``): the count is then unknown."""
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        return
    with _lock:
        if _installed["done"]:
            return
        _installed["done"] = True
    pn.state.on_session_created(_created)
    pn.state.on_session_destroyed(_destroyed)


def open_sessions() -> int | None:
    """Sessions open in this process; None when the hooks could not be installed."""
    with _lock:
        return len(_open) if _installed["done"] else None
