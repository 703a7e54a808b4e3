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

- ``NewestOnly``: the scheme every view's own loads use (a first load, reloads after a
  changed filter or page, a busy spinner): fetch off the loop, show in one batch, and
  only the newest of overlapping loads (decision 0044).

Worker threads run concurrently: an older result must never overwrite a newer one;
``NewestOnly`` sees to it. The Panel internals this module needs are listed in
``INTERNALS`` and nowhere else (decision 0044); so are those of the pages' HTTP handlers
(``views/page_head.py``, ``views/panel_script.py``, app.py), which take them from here
(decision 0077), and those ``jupyter/offline.py`` imports to keep notebooks offline.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import panel as pn
from bokeh.events import DocumentReady
from bokeh.server import urls as _bokeh_urls
from panel.io.server import DocHandler, WSHandler, get_static_routes
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
    doc = pn.state.curdoc
    rendered = RenderReport.of(doc)

    def now_or_once_rendered() -> None:  # on the loop, under the document lock
        if rendered.pulled_not_rendered():
            # The browser has the document and is still building its views: a result
            # shown now that replaced a child (the eta-V plot at 100,000 sources, whose
            # points arrive about then) was now and then never drawn (bench_eta_v: 1-3
            # of 4 loads). Once the page is rendered it goes out as a later load's does.
            rendered.then(_as_session_callback(lambda: show_result(future.result)))
        else:
            show_result(future.result)

    schedule = _as_session_callback(now_or_once_rendered)
    future.add_done_callback(lambda _done: schedule())


class RenderReport:
    """Whether the browser has reported ``doc`` rendered (Bokeh's ``DocumentReady``, the
    event Panel's onload follows), as seen on the event loop, and what to run then.

    Made while the page is created, on the loop: the event is handled there too, so a
    check and a registration here can never straddle it (decision 0084). Panel's own
    onload list is read by a worker thread after the event: a callback given to
    ``pn.state.onload`` while that thread ran was never run, and the page kept its
    spinner (a /ms table, once in a full test run). What waits here runs once Panel also
    counts the page connected (``state._connected``, set by that thread at once): before
    it, Panel's hold drops changes, expecting a pull still to come (decision 0020)."""

    #: How often, and how many times, to look for Panel's count after the report.
    POLL_MS, POLLS = 10, 500
    #: One per document, however many early loads its page starts.
    _of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, doc) -> RenderReport:
        """``doc``'s report (made on the loop, with the page)."""
        report = cls._of.get(doc)
        if report is None:
            report = cls._of[doc] = cls(doc)
        return report

    def __init__(self, doc) -> None:
        self.doc = doc
        self.rendered = False
        self._then: list[Callable[[], None]] = []
        doc.on_event(DocumentReady, self._on_rendered)

    def _on_rendered(self, _event) -> None:
        self.rendered = True
        self._run_once_connected(0)

    def _run_once_connected(self, polls: int) -> None:
        if not self._then:
            return
        if not pn.state._connected.get(self.doc) and polls < self.POLLS:
            self.doc.add_timeout_callback(lambda: self._run_once_connected(polls + 1),
                                          self.POLL_MS)
            return
        then, self._then = self._then, []
        for callback in then:
            callback()

    def pulled_not_rendered(self) -> bool:
        """The browser has connected to the session (it pulls the document at once)
        and the page is not yet rendered and counted connected."""
        session = getattr(self.doc.session_context, "session", None)
        return (session is not None and session.connection_count > 0
                and not (self.rendered and pn.state._connected.get(self.doc)))

    def then(self, callback: Callable[[], None]) -> None:
        """``callback`` once the page is reported rendered and Panel counts it
        connected (now if both are so)."""
        self._then.append(callback)
        if self.rendered:
            self._run_once_connected(0)


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


class NewestOnly:
    """The one way a view loads data off the event loop and shows only the newest result.

    ``fetch`` is blocking (a query, a FITS read) and makes no model changes; it returns
    a result or an expected error for ``show``. ``show(result)`` makes the model changes
    (no I/O) and runs in one batch (``update_together``). Loads can overlap (a user
    typing, paging, clicking a filter twice): each ``run`` takes a generation, and a
    result whose generation is no longer the newest is dropped, never shown over a newer
    one. ``busy`` are Panel objects whose ``loading`` spinner shows while the newest load
    runs, from ``busy_delay`` seconds on (a quick page change would only flicker).

    ``schedule()`` runs a load on a worker thread (from a widget callback, a watcher);
    ``early()`` the first load, started with the page (``load_early``); ``first()`` the
    first load once the page is shown; ``run()`` loads here, now.
    """

    def __init__(self, fetch: Callable[[], T], show: Callable[[T], None], *,
                 busy: Iterable = (), busy_delay: float = 0.0) -> None:
        self.fetch, self.show = fetch, show
        self.busy, self.busy_delay = tuple(busy), busy_delay
        # The generations and the spinner: held briefly, never while waiting for the
        # event loop (``schedule`` takes it there). The spinner is switched under it: one
        # switched on outside it, as the last load ended, stayed on for good.
        self._lock = threading.Lock()
        # Held around "is it the newest?" and the showing, so that no other result is
        # shown in between (a result shown while a newer load starts is replaced by it).
        self._show_lock = threading.RLock()
        self._generation = 0
        self._running: set[int] = set()

    def _newest(self, generation: int) -> bool:
        return generation == self._generation

    def _spin(self, on: bool) -> None:
        for obj in self.busy:
            obj.loading = on

    def _spin_if_still_running(self, generation: int) -> None:
        with self._lock:
            if self._newest(generation) and generation in self._running:
                self._spin(True)

    def _begin(self) -> int:
        """A new generation: from now on, results of the older ones are stale."""
        with self._lock:
            self._generation += 1
            self._running.add(self._generation)
            return self._generation

    def run(self) -> None:
        """Blocking: fetch, then show the result unless a newer load started meanwhile."""
        self._run(self._begin())

    def _run(self, mine: int) -> None:
        with self._lock:
            if not self._newest(mine):  # superseded before a worker picked it up
                self._running.discard(mine)
                return
        timer = None
        if self.busy and self.busy_delay > 0:
            timer = threading.Timer(self.busy_delay, self._spin_if_still_running, (mine,))
            timer.daemon = True
            timer.start()
        elif self.busy:
            self._spin_if_still_running(mine)
        try:
            result = self.fetch()
            with self._show_lock:
                with self._lock:
                    newest = self._newest(mine)
                if newest:
                    update_together(lambda: self.show(result))
        finally:
            if timer is not None:
                timer.cancel()
            with self._lock:
                self._running.discard(mine)
                if self._newest(mine):
                    self._spin(False)

    def schedule(self) -> None:
        """A load on a worker thread now (here, outside a server). It is the newest from
        this call on, before a worker picks it up."""
        mine = self._begin()
        run_in_background(lambda: self._run(mine))

    def first(self, *, every_ms: int | None = None) -> None:
        """The first load once the page is shown (now, outside a server); with
        ``every_ms``, again every ``every_ms`` milliseconds."""
        load_in_background(self.run, every_ms=every_ms)

    def early(self, after: Callable[[], None] | None = None) -> None:
        """The first load through ``load_early``: started while the page is created, so
        that its result usually travels with the page (decision 0036); ``after`` runs on
        the event loop once it is shown or dropped. Its result is shown on the loop,
        which must never wait for the show lock (a worker holding it waits for the
        loop): a held lock means a newer load is showing, and this one is dropped."""
        mine = self._begin()

        def show(result) -> None:
            if not self._show_lock.acquire(blocking=False):
                return
            try:
                with self._lock:
                    newest = self._newest(mine)
                if newest:
                    self.show(result)
            finally:
                self._show_lock.release()

        def done() -> None:
            with self._lock:
                self._running.discard(mine)
            if after is not None:
                after()

        load_early(self.fetch, show, done)


# ------------------------------------------------------------- Panel internals
#: What this module takes from Panel and Bokeh beyond their documented API, each with the
#: reason; ``missing_internals`` (and tests/views/test_background.py) check them, so that
#: a Panel upgrade that changes one fails loudly here rather than as a page that never
#: loads. No other module may use them.
INTERNALS = (
    ("panel.io.state", "state", "_thread_pool",
     "the worker pool load_early submits to (None without nthreads)"),
    ("panel.io.state", "state", "_thread_id", "the event loop's thread, for _on_event_loop"),
    ("panel.io.state", "state", "_current_thread", "the calling thread, for _on_event_loop"),
    ("panel.io.state", "state", "_connected",
     "which documents Panel counts connected (the browser reported them rendered), "
     "for held (decision 0020) and RenderReport (decision 0084)"),
    ("panel.io.state", "state", "_handle_exception",
     "Panel's exception handler, for failures in session callbacks"),
    ("panel.io.state", "", "set_curdoc", "making a document current on the event loop"),
    ("bokeh.document.callbacks", "DocumentCallbackManager", "hold_value",
     "whether a document is held already, for held"),
    ("panel.io.server", "", "DocHandler",
     "the page handler page_head.PageHandler extends (HEAD, the login URL)"),
    ("panel.io.server", "", "WSHandler",
     "the websocket handler panel_script.ScriptSocketHandler extends"),
    ("panel.io.server", "", "get_static_routes",
     "the assets' routes under `panel serve app.py --plugins app`"),
    ("bokeh.server.urls", "", "per_app_patterns",
     "the page routes serve_pages_with replaces the page handler in"),
    # views/serialization.py (decision 0091): replaced, when it is the known version.
    ("bokeh.core.has_props", "HasProps", "query_properties_with_values",
     "serialization.install replaces it with one that skips unset defaults first"),
    ("bokeh.core.has_props", "HasProps", "_overridden_defaults",
     "serialization: the defaults a model's class and its bases override"),
    # jupyter/offline.py (decision 0078): listed here so that one check names them too.
    ("panel.io.notebook", "", "send", "jupyter.offline wraps it to inline Panel's CSS"),
    ("panel.io.resources", "", "CDN_DIST", "jupyter.offline: Panel's CSS by CDN address"),
    ("panel.io.resources", "", "LOCAL_DIST", "jupyter.offline: Panel's CSS by server path"),
    ("panel.io.resources", "", "DIST_DIR", "jupyter.offline: Panel's CSS in its wheel"),
)

#: Re-exported for the pages' HTTP handlers: they take these internals from here only.
__all__ = ["DocHandler", "WSHandler", "get_static_routes"]


def missing_internals() -> list[str]:
    """One message per Panel/Bokeh internal this module needs and no longer finds."""
    import importlib

    missing = []
    for module, owner, name, why in INTERNALS:
        try:
            found = importlib.import_module(module)
            if owner:
                found = getattr(found, owner)
        except (ImportError, AttributeError):
            found = None
        # A class is searched with dir(): hold_value is a property of its instances.
        if found is None or (name not in dir(found) if isinstance(found, type)
                             else not hasattr(found, name)):
            where = ".".join(p for p in (module, owner, name) if p)
            missing.append(f"{where} is gone ({why}): views/background.py relies on it, "
                           f"written for Panel 1.9.4, now {pn.__version__}")
    return missing


def serve_pages_with(handler: type) -> None:
    """Serve every page through ``handler`` (a ``DocHandler`` subclass) instead of
    Panel's own; call before the server is made."""
    _bokeh_urls.per_app_patterns[:] = [
        (pattern, handler if found is DocHandler else found, *rest)
        for pattern, found, *rest in _bokeh_urls.per_app_patterns]


def in_document(doc):
    """A context in which ``doc`` is Panel's current document (Bokeh event callbacks
    run without one)."""
    return set_curdoc(doc)
