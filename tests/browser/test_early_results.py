"""A page's early result (``load_early``) reaches the browser however late it is ready.

The hard moment is after the browser has pulled the document but before it reports the
page rendered (``document_ready``): Panel does not count the session as connected yet,
and its ``pn.io.hold`` dropped the changes made then, expecting a pull still to come
(about one load in fifty of a 5,000-epoch source page lost its whole lightcurve); and a
result that replaced a child then (the eta-V plot at 100,000 sources) was now and then
never drawn. Such a result now waits until the page has rendered (decision 0084). Here
the browser's messages to the server are held from the pull on, so the result is ready
exactly in that moment, every time.
"""

from __future__ import annotations

import threading

import panel as pn
import pytest
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from dsa110_dashboard.views.background import load_early
from server import ROOT, free_port

ROWS_JS = """
() => {
  const doc = window.Bokeh && Bokeh.documents[0];
  if (!doc) return -1;
  for (const m of doc.all_models)
    if (m.type === 'ColumnDataSource' && m.name === 'early') return m.get_length();
  return -1;
}
"""


class GatedPage:
    """A page whose fetch waits for ``release``; ``shown`` is set once its result is
    on the page (on the server)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.shown = threading.Event()
        self.connected_when_shown: bool | None = None

    def build(self):
        source = ColumnDataSource(data={"x": [], "y": []}, name="early")
        fig = figure(height=200, width=300, tools="")
        fig.scatter("x", "y", source=source)
        text = pn.pane.Markdown("waiting")

        def fetch() -> list[float]:
            self.release.wait(30)
            return [1.0, 2.0, 3.0]

        def show(values: list[float]) -> None:
            self.connected_when_shown = bool(pn.state._connected.get(pn.state.curdoc))
            source.data = {"x": values, "y": values}  # a plain Bokeh model
            text.object = "shown"  # a Panel pane

        load_early(fetch, show, self.shown.set)
        return pn.Column(text, pn.pane.Bokeh(fig))


@pytest.fixture
def gated():
    if not pn.config.nthreads:  # load_early needs Panel's worker threads (app.py sets them)
        pn.config.nthreads = 2
    page_fn = GatedPage()
    port = free_port()
    server = pn.serve({"/early": page_fn.build}, port=port, address="127.0.0.1", show=False,
                      threaded=True, websocket_origin=[f"127.0.0.1:{port}"],
                      # pn.config is process-wide: app.py's stylesheet may be configured
                      static_dirs={"assets": str(ROOT / "assets")})
    yield page_fn, f"http://127.0.0.1:{port}/early"
    page_fn.release.set()
    server.stop()


class Gate:
    """What the page sends the server after it pulled the document, kept back until
    ``open``."""

    def __init__(self) -> None:
        self.held: list = []
        self.lock = threading.Lock()
        self.opened = False
        self.server = None

    def open(self) -> None:
        with self.lock:
            self.opened = True
            for message in self.held:
                self.server.send(message)


def hold_messages_after_pull(page) -> Gate:
    """Route the page's websocket through the test: everything the server sends goes
    through; what the browser sends after the document arrived is kept back (so the
    server does not hear that the page rendered) until the gate opens."""
    gate = Gate()
    pulled = threading.Event()

    def route(ws) -> None:
        server = gate.server = ws.connect_to_server()

        def to_server(message) -> None:
            with gate.lock:
                if pulled.is_set() and not gate.opened:
                    gate.held.append(message)
                    return
            server.send(message)

        def to_page(message) -> None:
            if isinstance(message, str) and '"PULL-DOC-REPLY"' in message:
                pulled.set()
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket("**/early/ws", route)
    return gate


def test_a_result_ready_between_the_pull_and_the_first_render_waits_for_the_render(
        page, gated):
    page_fn, url = gated
    gate = hold_messages_after_pull(page)
    page.goto(url)
    page.wait_for_function(f"() => ({ROWS_JS})() === 0")  # pulled, still empty
    page.get_by_text("waiting", exact=True).wait_for()

    page_fn.release.set()
    assert not page_fn.shown.wait(2), \
        "the result was shown before the browser reported the page rendered"
    assert gate.held, "the browser's report that the page rendered was meant to be held"
    gate.open()
    assert page_fn.shown.wait(20), "the early result was never shown on the server"
    page.wait_for_function(f"() => ({ROWS_JS})() === 3", timeout=10_000)
    page.get_by_text("shown", exact=True).wait_for()
    assert page_fn.connected_when_shown is True, \
        "the result was meant to be shown once Panel counted the session connected"
