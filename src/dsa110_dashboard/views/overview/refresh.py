"""Keeps one ``OverviewModel`` current in a served session, off the event loop.

Every card calls ``attach(model)``; the first call per model registers the work, so a
page of seven cards sharing one model makes one fetch, and a card shown alone still
updates itself. In a session: a full fetch started while the page is being created
(``load_early``: its figures usually travel with the page itself), then every
``CHECK_MS`` a cheap
check of the latest image id that advances the ages ("3 min ago") and fetches again
when a new image arrived, the database came back, or the figures are older than
``FULL_REFRESH_S``. Outside a session (a notebook) the model is fetched once, in place.

The functions here are blocking: Panel runs them on its worker threads (see
``views/background.py``), so two of them can overlap (a slow load and the first check);
a per-model lock keeps it to one fetch at a time.
"""

from __future__ import annotations

import threading
import weakref

import panel as pn

from ...viewmodels.overview import OverviewModel
from ..background import is_served, load_early, update_together

CHECK_MS = 20_000
FULL_REFRESH_S = 120.0

_attached: weakref.WeakSet[OverviewModel] = weakref.WeakSet()
_locks: weakref.WeakKeyDictionary[OverviewModel, threading.Lock] = \
    weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def in_session() -> bool:
    return is_served()


def _lock(model: OverviewModel) -> threading.Lock:
    with _locks_guard:
        lock = _locks.get(model)
        if lock is None:
            lock = _locks[model] = threading.Lock()
        return lock


def full_refresh(model: OverviewModel) -> None:
    """Fetch and show everything; skipped while another fetch of this model runs."""
    lock = _lock(model)
    if not lock.acquire(blocking=False):
        return
    try:
        model.refreshing = True
        try:
            result = model.fetch()
            update_together(lambda: model.apply(result))
        finally:
            model.refreshing = False
    finally:
        lock.release()


def first_fetch(model: OverviewModel) -> None:
    """The page's first full fetch, started now, shown as soon as it is done; the
    periodic check waits for it (the model's lock is held until it is shown)."""
    lock = _lock(model)
    lock.acquire()
    model.refreshing = True

    def done() -> None:
        model.refreshing = False
        lock.release()

    load_early(model.fetch, model.apply, done)


def tick(model: OverviewModel) -> None:
    """The cheap periodic check; a full refresh when it calls for one."""
    if _lock(model).locked():  # a fetch is running: it brings everything up to date
        return
    result = model.check()
    stale = []
    update_together(lambda: stale.append(model.needs_refresh(result, FULL_REFRESH_S)))
    if stale and stale[0]:
        full_refresh(model)


def attach(model: OverviewModel) -> None:
    if model in _attached:
        return
    _attached.add(model)
    if in_session():
        first_fetch(model)
        pn.state.add_periodic_callback(lambda: tick(model), period=CHECK_MS)
    elif model.snapshot is None:
        model.refresh()
