"""views/background.py outside a server: load_early fetches and shows now (``after``
runs even when the fetch fails, and the failure reaches the caller); NewestOnly never
shows an older result over a newer one; the Panel internals the module relies on exist."""

import threading
import time

import pytest

from dsa110_dashboard.views.background import NewestOnly, load_early, missing_internals


def test_load_early_shows_the_result_then_runs_after():
    seen = []
    load_early(lambda: 42, seen.append, lambda: seen.append("after"))
    assert seen == [42, "after"]


def test_a_failed_fetch_still_runs_after():
    seen = []

    def fail():
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        load_early(fail, seen.append, lambda: seen.append("after"))
    assert seen == ["after"]


# ------------------------------------------------------------------- NewestOnly
class Busy:
    """Stands in for a Panel object's ``loading`` flag: records each switch."""

    def __init__(self):
        self.switches = []

    @property
    def loading(self):
        return self.switches[-1] if self.switches else False

    @loading.setter
    def loading(self, value):
        self.switches.append(value)


def test_newest_only_shows_a_result_and_spins_while_loading():
    shown, busy = [], Busy()
    loads = NewestOnly(lambda: 7, shown.append, busy=[busy])
    loads.run()
    assert shown == [7] and busy.switches == [True, False]


def test_an_older_result_is_never_shown_over_a_newer_one():
    """Two overlapping loads, the older finishing last: only the newer is shown, and the
    spinner stays on until the newest is done."""
    older_may_finish = threading.Event()
    answers = iter(["older", "newer"])
    shown, busy = [], Busy()

    def fetch():
        mine = next(answers)
        if mine == "older":
            older_may_finish.wait(5)
        return mine

    loads = NewestOnly(fetch, shown.append, busy=[busy])
    older = threading.Thread(target=loads.run)
    older.start()
    while not busy.switches:  # the older load has begun
        time.sleep(0.001)
    loads.run()  # the newer one, finished first
    assert shown == ["newer"] and busy.loading is False
    older_may_finish.set()
    older.join(5)
    assert shown == ["newer"] and busy.loading is False


def test_a_load_superseded_before_it_starts_does_not_fetch():
    fetched, shown = [], []
    loads = NewestOnly(lambda: fetched.append(1) or len(fetched), shown.append)
    stale = loads._begin()  # scheduled, not yet picked up by a worker
    loads.run()
    loads._run(stale)
    assert fetched == [1] and shown == [1]


def test_a_quick_load_does_not_spin_with_a_delay():
    busy = Busy()
    NewestOnly(lambda: 1, lambda _r: None, busy=[busy], busy_delay=5.0).run()
    assert busy.switches == [False]


def test_panel_internals_this_module_relies_on_are_there():
    """Fails with the name of each Panel/Bokeh internal a Panel upgrade removed or
    renamed: views/background.py must then be adapted (decision 0044)."""
    missing = missing_internals()
    assert not missing, "\n".join(missing)


def test_a_missing_internal_is_named(monkeypatch):
    from dsa110_dashboard.views import background

    monkeypatch.setattr(background, "INTERNALS", (
        ("panel.io.state", "state", "_no_such_pool", "the worker pool"),))
    [message] = background.missing_internals()
    assert message.startswith("panel.io.state.state._no_such_pool is gone (the worker pool)")


def test_the_page_update_timeout_comes_from_the_settings():
    from dsa110_dashboard.settings import Settings, TimeoutConfig
    from dsa110_dashboard.views import background

    settings = Settings.load(environ={"DSA110_DASH_TIMEOUT_PAGE_UPDATE": "7"})
    try:
        background.configure(settings.timeouts)  # as app.configure_panel does
        assert background._timeouts["page_update"] == 7.0
    finally:
        background.configure(TimeoutConfig())


def test_an_early_load_shows_its_result_then_runs_after():
    seen = []
    NewestOnly(lambda: 3, seen.append).early(lambda: seen.append("after"))
    assert seen == [3, "after"]


def test_an_early_result_is_dropped_while_a_newer_load_is_showing():
    """The early result is shown on the event loop, which must not wait for a worker
    that holds the show lock while it waits for the loop: it is dropped instead."""
    seen = []
    loads = NewestOnly(lambda: "early", seen.append)
    holder = threading.Thread(target=loads._show_lock.acquire)
    holder.start()
    holder.join()  # another thread holds the lock (as a worker showing a newer result)
    loads.early(lambda: seen.append("after"))
    assert seen == ["after"]


def test_no_module_but_this_one_takes_panel_internals():
    """The Panel and Bokeh internals the dashboard needs are imported in
    views/background.py only, where INTERNALS lists and checks them (decision 0077):
    a page handler, the websocket handler, the page routes, set_curdoc."""
    import ast
    from pathlib import Path

    import dsa110_dashboard

    internal_modules = {"panel.io.server", "bokeh.server.urls"}
    internal_names = {("panel.io.state", "set_curdoc"), ("bokeh.server", "urls")}
    package = Path(dsa110_dashboard.__file__).parent
    sources = [*package.rglob("*.py"), package.parents[1] / "app.py",
               *(package.parents[1] / "dashboards").glob("*.py")]
    found = []
    for path in sources:
        text = path.read_text()
        if path == package / "views" / "background.py" or not (
                "panel.io" in text or "bokeh.server" in text):
            continue  # (parsing only the files that name them keeps the test quick)
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.ImportFrom) and node.module in internal_modules | {
                    m for m, _ in internal_names}:
                names = {a.name for a in node.names}
                if node.module in internal_modules or names & {
                        n for m, n in internal_names if m == node.module}:
                    found.append(f"{path.name}:{node.lineno} from {node.module}")
            elif isinstance(node, ast.Import):
                found += [f"{path.name}:{node.lineno} import {a.name}" for a in node.names
                          if a.name in internal_modules]
    assert not found, found


def test_a_result_waiting_for_the_render_report_runs_when_it_comes():
    """``RenderReport`` sees Bokeh's DocumentReady on the loop, where load_early checks
    and registers: nothing can slip between the two (decision 0084). What waits runs
    once Panel also counts the page connected (its hold drops changes before)."""
    import panel as pn
    from bokeh.document import Document
    from bokeh.events import DocumentReady

    from dsa110_dashboard.views.background import RenderReport

    doc = Document()
    report = RenderReport(doc)
    assert not report.pulled_not_rendered()  # no session, no browser: shown at once
    ran = []
    report.then(lambda: ran.append("first"))
    doc.callbacks.trigger_event(DocumentReady())
    assert report.rendered and ran == []  # Panel's worker has not counted it yet
    assert doc.session_callbacks, "a look again soon was meant to be scheduled"
    pn.state._connected[doc] = True  # what Panel's worker does right after the event
    try:
        report._run_once_connected(1)  # the scheduled look
        assert ran == ["first"]
        report.then(lambda: ran.append("later"))  # rendered and counted: now
        assert ran == ["first", "later"]
        doc.callbacks.trigger_event(DocumentReady())  # a second report runs nothing
        assert ran == ["first", "later"]
    finally:
        pn.state._connected.pop(doc, None)


def test_a_page_has_one_render_report_however_many_early_loads():
    from bokeh.document import Document

    from dsa110_dashboard.views.background import RenderReport

    doc, other = Document(), Document()
    assert RenderReport.of(doc) is RenderReport.of(doc)
    assert RenderReport.of(other) is not RenderReport.of(doc)
