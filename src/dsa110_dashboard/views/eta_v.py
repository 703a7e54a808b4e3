"""The eta-V plot: every source, thresholds, candidates; click a point to open it.

Axes: datashader has no log axes, so the plot is drawn in log10(eta) / log10(V) space
and the axes are labelled in linear values at fixed ticks (1, 2, 5 x 10^n): the axes
read as honest log axes.

Every source is drawn. The bulk is rasterised (datashader ``rasterize`` of the counts,
``spread`` by one pixel so a lone source is a 3 x 3 pixel dot) once there are more than
``RASTER_ABOVE`` sources; its colormap starts at a mid grey that stands out on the
background of either theme and darkens (light theme) or brightens (dark theme) with
the count; empty pixels are transparent. (A colormap that starts at white drew every
sparse source white on the light theme's white.) The candidates (at or above both
thresholds), the point under the cursor and the selected point are real Bokeh glyphs
with hover, so the plot stays light at 100,000 sources.

Clicking: the bulk is an image, so the browser cannot tell which source was clicked.
Every click goes to the server (Bokeh's ``Tap`` event), which takes the nearest
source within ``PICK_TOLERANCE`` of the visible axis spans (the rule that rings the
point under the cursor) and sends the browser to its page through a hidden input whose
value change runs ``window.location.assign``. One path for every point: a grey point
and a red one open the same way; a click on empty space opens nothing.

Thresholds: typed in two inputs, set to mean + k sigma of the log distributions with a
button, or dragged: the dashed lines are HoloViews' ``VLine``/``HLine``, whose Bokeh
``Span`` a hook makes ``editable`` (Bokeh moves it in the browser, in the plot's data
units: log10). When the drag ends its place reaches the server and
``EtaVModel.move_threshold`` applies it, so the inputs, the candidates and the URL
follow exactly as for typing; typing moves the line back the other way (HoloViews
redraws it from the thresholds).
"""

from __future__ import annotations

import html
import math

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh import events
from bokeh.models import CustomJS, Span
from holoviews.operation.datashader import rasterize, spread
from panel.io.state import set_curdoc
from panel.viewable import Viewer

from ..viewmodels.eta_v import EtaVModel
from ..viewmodels.sources import source_url
from .background import is_served, load_in_background, update_together
from .shell import session_theme
from .source_urlstate import notes_alert

hv.extension("bokeh", logo=False)

RASTER_ABOVE = 1000
PLOT_HEIGHT = 460
CANDIDATE_COLOR = "#d62728"
SELECTED_COLOR = "#1f77b4"

#: The rasterised bulk: low counts (a lone source) mid grey, visible on white and on the
#: dark theme's background; the densest pixels black (light) or white (dark).
BULK_CMAP = {"default": ["#8c8c8c", "#000000"], "dark": ["#8c8c8c", "#ffffff"]}
#: A click or the cursor picks the nearest source within this fraction of the visible
#: axis spans (about 18 x 7 pixels on a 1,200 x 460 plot); farther is empty space.
PICK_TOLERANCE = 0.015

_NAVIGATE_JS = "if (cb_obj.value) { window.location.assign(cb_obj.value); }"


def log_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Ticks at 1, 2, 5 x 10^n (1 x 10^n only over a wide range), labelled linearly."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    first, last = math.floor(lo) - 1, math.ceil(hi) + 1
    mantissas = (1,) if last - first > 6 else (1, 2, 5)
    ticks = []
    for n in range(first, last + 1):
        for m in mantissas:
            value = m * 10.0 ** n
            ticks.append((math.log10(value), f"{value:g}"))
    return ticks


# Bokeh tells only the browser that a drag has ended (the span's ``pan`` signal). There
# the line's place is put in the span's tags (user data that syncs to the server) and
# the server applies it once per drag: applying every intermediate place re-sent the
# candidates (thousands of points at 100,000 sources) on every mouse move. The signal
# is connected on the first change of the line's place, which a drag starts with.
_COMMIT_ON_DRAG_END_JS = """
if (!span.__dsa_commit) {
  span.__dsa_commit = true;
  span.pan.connect(([phase]) => {
    if (phase === "pan:end" && span.location != null) {
      span.tags = [...span.tags.filter((t) => typeof t !== "number"), span.location];
    }
  });
}
"""


def _draggable(model: EtaVModel, name: str):
    """A HoloViews hook making a threshold line's Bokeh ``Span`` draggable and applying
    a finished drag to ``model.<name>`` (hooks run again on every update: set up once)."""

    def committed(_attr, _old, tags) -> None:
        places = [t for t in tags if isinstance(t, (int, float)) and not isinstance(t, bool)]
        if places:
            model.move_threshold(name, float(places[-1]))

    def hook(plot, element) -> None:
        span = plot.handles.get("glyph")
        if not isinstance(span, Span) or "dsa-threshold" in span.tags:
            return
        span.update(editable=True, tags=[*span.tags, "dsa-threshold", name])
        span.js_on_change("location", CustomJS(args={"span": span},
                                               code=_COMMIT_ON_DRAG_END_JS))
        span.on_change("tags", committed)

    return hook


class EtaVView(Viewer):
    model = param.ClassSelector(class_=EtaVModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._eta_input = pn.widgets.FloatInput.from_param(
            m.param.eta_threshold, label="η threshold", start=1e-6, width=130)
        self._v_input = pn.widgets.FloatInput.from_param(
            m.param.v_threshold, label="V threshold", start=1e-6, width=130)
        self._k_input = pn.widgets.FloatInput.from_param(
            m.param.k, label="k (mean + k σ)", step=0.5, width=120)
        self._sigma_button = pn.widgets.Button(label="Set to mean + kσ", width=150,
                                               align="end")
        self._sigma_button.on_click(lambda _e: self.model.apply_sigma_preset())
        self._reset_button = pn.widgets.Button(label="Defaults (1.5, 0.1)", width=150,
                                               align="end")
        self._reset_button.on_click(lambda _e: self.model.reset_thresholds())
        self._summary = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10))
        self._card = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10),
                                  css_classes=["dsa-etav-selected"],
                                  stylesheets=["a { color: #2f80ed; }"])
        self._alert = pn.pane.Alert("", alert_type="warning", visible=False,
                                    sizing_mode="stretch_width")
        self._notes = notes_alert(m, "dsa-eta-v-notes")
        # Carries a clicked source's address to the browser, which goes there; hidden.
        self._navigator = pn.widgets.TextInput(value="", visible=False, margin=0)
        self._navigator.jscallback(value=_NAVIGATE_JS)
        self._plot_holder = pn.Column(
            pn.indicators.LoadingSpinner(value=True, size=40, label="Loading eta-V…"),
            sizing_mode="stretch_width", min_height=PLOT_HEIGHT)
        self._hovered = None
        self._tap_figures: set[int] = set()
        self._pointer = None
        self._ranges = None
        m.param.watch(self._on_data, ["points", "error"])
        m.param.watch(self._render_text, ["eta_threshold", "v_threshold", "selected",
                                          "points"])
        self._layout = pn.Column(
            pn.Row(self._eta_input, self._v_input, self._k_input, self._sigma_button,
                   self._reset_button, sizing_mode="stretch_width"),
            self._notes, self._alert, self._summary, self._plot_holder, self._card,
            self._navigator,
            sizing_mode="stretch_width")

    # ------------------------------------------------------------------ data
    def load(self) -> None:
        """Blocking: runs on a worker thread (see views/background.py)."""
        self._plot_holder.loading = True
        try:
            result = self.model.fetch()
            # The plot and its summary line arrive together.
            update_together(lambda: self.model.apply(result))
        finally:
            self._plot_holder.loading = False

    def _on_data(self, *_events) -> None:
        m = self.model
        if m.error:
            self._alert.param.update(object=f"**eta-V plot unavailable.** {m.error}",
                                     visible=True)
            self._plot_holder[:] = []
            return
        if m.points.empty:
            self._plot_holder[:] = [pn.pane.Markdown(
                "No source has both η and V defined and positive yet: nothing to plot.")]
            return
        self._plot_holder[:] = [self._build_plot()]
        self._render_text()

    # ------------------------------------------------------------------ plot
    def _build_plot(self) -> pn.pane.HoloViews:
        m = self.model
        pts = m.points
        kdims = ["log_eta", "log_v"]
        xlo, xhi = float(pts["log_eta"].min()), float(pts["log_eta"].max())
        ylo, yhi = float(pts["log_v"].min()), float(pts["log_v"].max())
        pad_x, pad_y = max(0.05 * (xhi - xlo), 0.1), max(0.05 * (yhi - ylo), 0.1)
        xlim, ylim = (xlo - pad_x, xhi + pad_x), (ylo - pad_y, yhi + pad_y)
        axes = dict(xlabel="η (log scale)", ylabel="V = std/mean (log scale)",
                    xticks=log_ticks(*xlim), yticks=log_ticks(*ylim), xlim=xlim, ylim=ylim,
                    responsive=True, height=PLOT_HEIGHT, show_grid=True,
                    active_tools=["wheel_zoom"])
        every = hv.Points(pts, kdims, ["source_id"])
        if len(pts) > RASTER_ABOVE:
            # A fixed spread, not dynspread: dynspread stops spreading once the dense
            # clump has neighbours, leaving every sparse source a single pixel.
            bulk = spread(rasterize(every, aggregator="count", dynamic=True), px=1).opts(
                cmap=BULK_CMAP[session_theme()], cnorm="log", tools=[], colorbar=False,
                clipping_colors={"min": "transparent", "NaN": "transparent"}, **axes)
        else:
            bulk = every.opts(color="grey", alpha=0.5, size=3, tools=[], **axes)

        hover = [("source", "@source_id"), ("η", "@eta{0.000}"), ("V", "@v{0.000}"),
                 ("epochs", "@n_obs")]
        vdims = ["source_id", "eta", "v", "n_obs"]

        def candidates(eta_threshold, v_threshold):
            return hv.Points(m.candidates, kdims, vdims).opts(
                color=CANDIDATE_COLOR, size=7, line_color="white", hover_tooltips=hover,
                tools=["hover"], **axes)

        # Thicker under the cursor (which also turns into a resize arrow): it can be moved.
        line = dict(color=CANDIDATE_COLOR, line_dash="dashed", line_width=2,
                    hover_line_color=CANDIDATE_COLOR, hover_line_alpha=1.0,
                    hover_line_width=4)

        def lines(eta_threshold, v_threshold):
            return (hv.VLine(math.log10(eta_threshold)) * hv.HLine(math.log10(v_threshold))) \
                .opts(hv.opts.VLine(hooks=[_draggable(m, "eta_threshold")], **line),
                      hv.opts.HLine(hooks=[_draggable(m, "v_threshold")], **line))

        def highlight(selected, x, y):
            rows = []
            if selected:
                rows.append(pts[pts["source_id"] == selected])
            hovered = self._nearest_to_pointer(x, y)
            if hovered is not None and hovered != selected:
                rows.append(pts[pts["source_id"] == hovered])
            frame = pd.concat(rows) if rows else pts.iloc[:0]
            return hv.Points(frame, kdims, vdims).opts(
                color="rgba(0,0,0,0)", line_color=SELECTED_COLOR, line_width=2.5, size=14,
                hover_tooltips=hover, tools=["hover"], **axes)

        thresholds = hv.streams.Params(m, ["eta_threshold", "v_threshold"])
        cand = hv.DynamicMap(candidates, streams=[thresholds])
        spans = hv.DynamicMap(lines, streams=[thresholds])
        pointer = hv.streams.PointerXY(x=None, y=None, source=cand)
        self._pointer = pointer
        picked = hv.DynamicMap(highlight, streams=[
            hv.streams.Params(m, ["selected"]), pointer])
        ranges = hv.streams.RangeXY(source=cand)
        self._ranges = ranges
        overlay = (bulk * spans * cand * picked).opts(
            hv.opts.Overlay(hooks=[self._listen_for_taps],
                            **{k: v for k, v in axes.items() if k != "hover_tooltips"}))
        return pn.pane.HoloViews(overlay, sizing_mode="stretch_width", height=PLOT_HEIGHT,
                                 linked_axes=False)

    def _spans(self) -> tuple[float, float]:
        r = self._ranges
        pts = self.model.points
        if r is not None and r.x_range and r.y_range and None not in (*r.x_range, *r.y_range):
            spans = (r.x_range[1] - r.x_range[0], r.y_range[1] - r.y_range[0])
            if all(np.isfinite(spans)) and min(spans) > 0:
                return spans
        return (float(np.ptp(pts["log_eta"])) or 1.0, float(np.ptp(pts["log_v"])) or 1.0)

    def _nearest_to_pointer(self, x, y) -> str | None:
        if x is None or y is None or self.model.points.empty:
            return None
        return self.model.nearest(x, y, *self._spans(), tolerance=PICK_TOLERANCE)

    def _listen_for_taps(self, plot, _element) -> None:
        """Clicks as Bokeh's own Tap and DoubleTap events on the figure (hooks run on
        every update: once per figure). A HoloViews Tap stream sometimes missed the
        first click after the plot appeared."""
        figure = plot.state
        if id(figure) in self._tap_figures:
            return
        self._tap_figures.add(id(figure))
        def on_tap(event: events.Tap) -> None:
            with set_curdoc(figure.document):  # Bokeh's callbacks run without Panel's
                self._on_tap(x=event.x, y=event.y)

        # A click soon after another is reported as a double tap only: one more click.
        figure.on_event(events.Tap, on_tap)
        figure.on_event(events.DoubleTap, on_tap)

    def _on_tap(self, x=None, y=None, **_kw) -> None:
        """Open the clicked source; a click on empty space clears the selection.
        ``selected`` is left alone when navigating: its URL update (a history entry)
        would race the navigation."""
        source_id = self._nearest_to_pointer(x, y)
        if source_id is None:
            self.model.selected = None
            return
        url = source_url(source_id)
        if self._navigator.value == url:  # the same source again: still a change
            self._navigator.value = ""
        self._navigator.value = url

    # ------------------------------------------------------------------ text
    def _render_text(self, *_events) -> None:
        m = self.model
        if not m.loaded or m.error:
            return
        n_cand = int(m.candidate_mask().sum()) if not m.points.empty else 0
        hidden = (f" {m.n_unplottable:,} with η or V undefined or ≤ 0 cannot be drawn on "
                  "log axes." if m.n_unplottable else "")
        self._summary.object = (
            f"**{n_cand:,} candidates** (η ≥ {m.eta_threshold:g} and V ≥ {m.v_threshold:g}) "
            f"of {len(m.points):,} sources plotted.{hidden} Click a point to open its "
            "source page; drag a dashed line (or type a value) to move a threshold."
            + (f" *{m.v_note}*" if m.v_note else ""))
        row = m.selected_row()
        if row is None:
            self._card.object = ""
            return
        name = html.escape(row["source_id"])
        self._card.object = (
            f'<div class="dsa-card">Selected <b>{name}</b>: η = {row["eta"]:.3g}, '
            f'V = {row["v"]:.3g}, {_int(row.get("n_obs"))} epochs — '
            f'<a href="{html.escape(source_url(row["source_id"]))}">open the source page</a>'
            "</div>")

    def __panel__(self):
        if is_served():
            load_in_background(self.load)
        else:
            self.model.refresh()
        return self._layout


def _int(value) -> str:
    try:
        return f"{int(value)}"
    except (TypeError, ValueError):
        return "?"
