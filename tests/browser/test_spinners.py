"""The eta-V plot and the image view keep their spinner up until their content is on
screen (issue 11 item 15): not a frame in between shows neither.

The views are served over the demo dataset with their model's ``fetch`` held back until
the test releases it (the database is real; only the moment is chosen), so the page is
drawn and idle while the data is still on its way, as on a loaded one-year database.
A ``requestAnimationFrame`` loop in the page records, frame by frame, whether a spinner
is up and whether the content is drawn."""

from __future__ import annotations

import threading

import panel as pn
import pytest

from dsa110_dashboard.viewmodels.eta_v import EtaVModel
from dsa110_dashboard.viewmodels.image_detail import ImageDetailModel
from dsa110_dashboard.views.eta_v import EtaVView
from dsa110_dashboard.views.image_detail import ImageDetailView
from server import ROOT, free_port

pytestmark = pytest.mark.browser

#: Records [spinner up, content drawn] once a frame. A spinner: Panel's loading
#: overlay (class ``pn-loading``) or a spinning ``LoadingSpinner`` on any view.
#: Content: a figure with a glyph of ``glyph`` type holding data, painted.
FRAMES_JS = """
(glyph) => {
  window.__frames = [];
  const state = () => {
    if (!(window.Bokeh && Bokeh.documents.length)) return [false, false];
    const views = [];
    const walk = (v, d) => {
      if (d > 80 || !v) return;
      views.push(v);
      for (const c of (v.child_views ?? [])) walk(c, d + 1);
    };
    for (const v of Object.values(Bokeh.index)) walk(v, 0);
    const spinner = views.some((v) => v.el && v.el.isConnected
      && (v.el.classList.contains('pn-loading')
          || (v.el.classList.contains('loader') && v.el.classList.contains('spin'))));
    // Drawn: painted once with data; a later repaint (a new size) keeps it drawn.
    const figures = views.filter((v) => v.model && v.model.type === 'Figure'
      && v.model.renderers.some((r) => r.glyph && r.glyph.type === glyph
                                       && (r.data_source.get_length() ?? 0) > 0));
    for (const v of figures)
      if (!v._invalidate_all && (v._invalidated_painters?.size ?? 0) === 0) v.__drawn = true;
    const drawn = figures.some((v) => v.__drawn);
    return [spinner, drawn];
  };
  const tick = () => { window.__frames.push(state()); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}
"""


class Gate:
    def __init__(self) -> None:
        self.release = threading.Event()

    def wait(self) -> None:
        assert self.release.wait(30), "the test never released the fetch"


@pytest.fixture
def gated_views(demo_db, demo_dataset):
    from dsa110_dashboard.repositories.images import ImageRepository

    if not pn.config.nthreads:  # load_early needs Panel's worker threads (app.py sets them)
        pn.config.nthreads = 2
    pn.extension("tabulator")  # the image page's catalogue table (app.py loads it too)
    gate = Gate()

    class GatedEtaV(EtaVModel):
        def fetch(self):
            gate.wait()
            return super().fetch()

    class GatedImage(ImageDetailModel):
        def fetch(self, raw_id):
            gate.wait()
            return super().fetch(raw_id)

    latest = ImageRepository(demo_db).latest().id

    def eta_v_page():
        return pn.Column(EtaVView(model=GatedEtaV(demo_db)), sizing_mode="stretch_width")

    def image_page():
        return pn.Column(ImageDetailView(model=GatedImage(demo_db, demo_db.settings),
                                         raw_id=str(latest)), sizing_mode="stretch_width")

    port = free_port()
    server = pn.serve({"/eta-v": eta_v_page, "/image": image_page}, port=port,
                      address="127.0.0.1", show=False, threaded=True,
                      websocket_origin=[f"127.0.0.1:{port}"],
                      static_dirs={"assets": str(ROOT / "assets")})
    yield gate, f"http://127.0.0.1:{port}"
    gate.release.set()
    server.stop()


@pytest.mark.parametrize("path, glyph", [("/eta-v", "Image"), ("/image", "ImageRGBA")])
def test_the_spinner_stays_until_the_content_is_drawn(gated_views, page, path, glyph):
    gate, url = gated_views
    page.goto(url + path)
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle")
    page.evaluate(FRAMES_JS, glyph)
    page.wait_for_function("() => window.__frames.length > 10")
    frames = page.evaluate("() => window.__frames")
    assert all(spinner and not drawn for spinner, drawn in frames), \
        "while the data is held back, the spinner is up and nothing is drawn"

    gate.release.set()
    page.wait_for_function("() => window.__frames.some(([s, d]) => d && !s)",
                           timeout=30_000)
    frames = page.evaluate("() => window.__frames")
    gaps = [i for i, (spinner, drawn) in enumerate(frames) if not spinner and not drawn]
    assert not gaps, (f"{len(gaps)} of {len(frames)} frames showed neither the spinner "
                      f"nor the content (first at frame {gaps[0]})")
    assert frames[-1] == [False, True]
