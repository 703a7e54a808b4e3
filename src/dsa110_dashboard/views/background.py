"""How views run blocking work (queries, FITS reads) without freezing other users.

One pattern everywhere: the callback is a plain blocking function; in a served session
Panel runs it on its worker threads (``pn.config.nthreads``, set by app.py) and hands the
resulting model changes to the event loop under the document lock. Coroutine callbacks
that await a thread and then touch models raced with Bokeh's document lock in practice
("_pending_writes should be non-None"), so views do not use them.

- ``load_in_background``: the first load of a view (and an optional periodic refresh).
- ``load_early``: the first load of a page whose data the browser should get with the
  page itself: the fetch starts while the page is being created and the result is
  shown on the event loop as soon as it is ready (see its docstring).
- ``run_in_background``: work triggered later (a changed filter, a button), from a
  widget callback, a param watcher or the URL sync, whichever thread that runs on.
- ``update_together``: show a fetched result (quick model updates, no I/O) so that the
  browser receives all of its changes in one message. Changes made on a worker thread
  are otherwise sent one message per property (a table's rows, with a binary buffer,
  in one; the status line in another), and the page can be caught in between.

Worker threads run concurrently: a view whose fetches can overlap must make sure an
older result does not overwrite a newer one (see ``Latest``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import panel as pn
from panel.io.state import set_curdoc
from tornado.ioloop import IOLoop

from ..settings import TimeoutConfig

T = TypeVar("T")

log = logging.getLogger(__name__)

#: How long a worker thread waits for the event loop to show its result; past it the
#: session is gone or the loop is stuck, and the thread goes back to the pool. The
#: composition root sets it from DSA110_DASH_TIMEOUT_PAGE_UPDATE (``configure``), as it
#: sets Panel's own thread pool.
_timeouts = {"page_update": TimeoutConfig().page_update}


def configure(timeouts: TimeoutConfig) -> None:
    _timeouts["page_update"] = timeouts.page_update


def is_served() -> bool:
    """Whether this code runs in a server session (not a notebook or a test)."""
    return pn.state.curdoc is not None and pn.state.curdoc.session_context is not None


def _threads_available() -> bool:
    return pn.state._thread_pool is not None


def _on_event_loop() -> bool:
    return pn.state._thread_id in (pn.state._current_thread, None)


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


@contextlib.contextmanager
def held(doc) -> Iterator[None]:
    """Hold ``doc``'s change events inside the block and send them together when it ends
    (the caller is on the event loop, under the document lock).

    Panel's ``pn.io.hold`` drops the held property changes of a session that Panel does
    not yet count as connected, expecting the browser to pull the whole document later.
    But Panel counts a session as connected only when the browser reports the document
    rendered, after its pull: changes made between the pull and that report were lost
    (a page's early result arrived without its plot data, about one load in fifty).
    Until then Bokeh's own hold is used, which always sends its events to whoever has
    pulled the document."""
    if pn.state._connected.get(doc) or doc.callbacks.hold_value:
        with pn.io.hold(doc):
            yield
        return
    doc.hold("combine")
    try:
        yield
    finally:
        doc.unhold()


def _as_session_callback(callback: Callable[[], None]) -> Callable[[], None]:
    """``callback`` made safe to call from any thread of a served page: it hops to the
    event loop (``IOLoop.add_callback``, the one thread-safe IOLoop call) and there
    becomes one of the document's next-tick callbacks, which Bokeh runs under the
    document lock: never in the middle of the browser pulling the document, so its
    changes are in that document or reach the browser as a patch. Changes made on the
    loop outside that lock were lost in a race with the pull."""
    doc = pn.state.curdoc
    loop = IOLoop.current()  # page functions run on the server's event loop

    def locked() -> None:
        with set_curdoc(doc), held(doc):
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - to the one handler
                pn.state._handle_exception(exc)

    return lambda: loop.add_callback(doc.add_next_tick_callback, locked)


def load_early(fetch: Callable[[], T], show: Callable[[T], None],
               after: Callable[[], None] | None = None) -> None:
    """Served: run ``fetch`` on a worker thread now, while the page is still being
    created, and ``show(result)`` as a session callback (see ``_as_session_callback``)
    as soon as it is done, with all of its changes in one batch. The browser spends
    about a second loading scripts before it asks for the page's models: a result
    shown before then travels inside the first document and is drawn in the first
    render (no second message, no re-render); one shown later arrives as one update.
    Outside a server: both here, now.

    ``show`` and ``after`` (run after ``show``, or after a failure, e.g. to hide a
    spinner) make model changes only; an unexpected exception from ``fetch`` or ``show``
    goes to Panel's exception handler (app.py logs it and tells the user)."""
    def show_result(result: Callable[[], T]) -> None:
        try:
            show(result())  # a failed fetch raises here, and ``after`` still runs
        finally:
            if after is not None:
                after()

    if not is_served() or not _threads_available():
        show_result(fetch)
        return
    future = pn.state._thread_pool.submit(fetch)
    schedule = _as_session_callback(lambda: show_result(future.result))
    future.add_done_callback(lambda _done: schedule())


def run_in_background(callback: Callable[[], None]) -> None:
    """Run ``callback`` on a worker thread now (in a served session with ``nthreads``);
    otherwise (a notebook, a test) run it here, before returning."""
    if is_served() and _threads_available():
        pn.state.execute(callback, schedule="thread")
    else:
        callback()


def update_together(update: Callable[[], None]) -> None:
    """Run ``update`` (model changes only: no I/O) so that the browser gets all of its
    changes together, in order: from a worker thread, on the event loop under
    ``held`` (see there), waiting for it to finish; on the loop, here under ``held``;
    outside a server, here under ``pn.io.hold()``."""
    doc = pn.state.curdoc
    if not is_served():
        with pn.io.hold():
            update()
        return
    if _on_event_loop():  # never wait for the loop on the loop
        with held(doc):
            update()
        return
    done: concurrent.futures.Future = concurrent.futures.Future()

    def on_loop() -> None:
        try:
            with held(doc):
                update()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the worker thread
            done.set_exception(exc)
        else:
            done.set_result(None)

    pn.state.execute(on_loop, schedule=True)
    try:
        done.result(timeout=_timeouts["page_update"])
    except concurrent.futures.TimeoutError:
        log.warning("the event loop did not show a result within %.0f s (session closed?)",
                    _timeouts["page_update"])


def update_figure(figure, update: Callable[[], None]) -> None:
    """Changes to a plain Bokeh ``figure`` and its models (no I/O). In a served page:
    on the event loop, in one message (``update_together``; model watchers run on a
    worker thread when a widget callback is threaded). Not yet on a page, or in a
    notebook: here."""
    doc = figure.document
    if doc is None or doc.session_context is None:
        update()
        return
    with set_curdoc(doc):
        update_together(update)


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

    def load_early(self, model) -> None:
        """The first load of ``model`` (``fetch()``, then ``apply(result)``) through
        ``load_early``, so that its result usually travels with the page; not shown
        when a newer fetch started meanwhile. The result is shown on the event loop,
        which must never wait for ``lock``: a ``fetch_and_show`` holding it waits for
        the loop. A held lock means a newer fetch is showing its result: ours is
        dropped."""
        mine = self.start()

        def show(result) -> None:
            if not self.lock.acquire(blocking=False):
                return
            try:
                if self.is_current(mine):
                    model.apply(result)
            finally:
                self.lock.release()

        load_early(model.fetch, show)

    def fetch_and_show(self, model, busy) -> None:
        """Blocking: ``model.fetch()``, then ``model.apply(result)`` in one message unless
        a newer fetch started meanwhile; ``busy`` (a Panel object) shows the loading
        indicator until the newest fetch is done."""
        mine = self.start()
        busy.loading = True
        try:
            result = model.fetch()
            with self.lock:
                if self.is_current(mine):
                    update_together(lambda: model.apply(result))
        finally:
            with self.lock:
                if self.is_current(mine):
                    busy.loading = False
