"""The eta-V plot: every source, thresholds, candidates; click a point to open it.

Axes: datashader has no log axes, so the plot is drawn in log10(eta) / log10(V) space
and the axes are labelled in linear values at fixed ticks (1, 2, 5 x 10^n): the axes
read as honest log axes. The bulk of the sources is rasterised (datashader ``rasterize``
+ ``dynspread``) once there are more than ``RASTER_ABOVE`` of them; the candidates (at
or above both thresholds), the point under the cursor and the selected point are real
Bokeh glyphs with hover. Clicking a candidate or the highlighted point under the cursor
opens its page (a Bokeh TapTool with a CustomJS ``window.location.assign``: no server
round trip); a click anywhere also selects the nearest source on the server, which shows
a card with its numbers and a link.

Thresholds: typed in two inputs, set to mean + k sigma of the log distributions with a
button, or moved by a double click on the plot (both lines jump to the clicked point).
Bokeh cannot drag span annotations, so there is no dragging.
"""

from __future__ import annotations

import html
import math

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import CustomJS, TapTool
from holoviews.operation.datashader import dynspread, rasterize
from panel.viewable import Viewer

from ..viewmodels.eta_v import EtaVModel
from ..viewmodels.sources import source_url
from .background import is_served, load_in_background, update_together

hv.extension("bokeh", logo=False)

RASTER_ABOVE = 1000
PLOT_HEIGHT = 460
CANDIDATE_COLOR = "#d62728"
SELECTED_COLOR = "#1f77b4"

_NAVIGATE_JS = """
const src = cb_data.source;
const i = src.selected.indices[0];
if (i !== undefined && src.data.url !== undefined) { window.location.assign(src.data.url[i]); }
"""


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


def _navigate_hook(plot, element) -> None:
    """A TapTool that opens the tapped glyph's ``url`` (added once per plot)."""
    renderer = plot.handles.get("glyph_renderer")
    if renderer is None:
        return
    for tool in plot.state.tools:
        if isinstance(tool, TapTool) and renderer in (tool.renderers or []) \
                and "dsa-navigate" in tool.tags:
            return
    plot.state.add_tools(TapTool(renderers=[renderer], tags=["dsa-navigate"],
                                 callback=CustomJS(code=_NAVIGATE_JS)))


def _with_urls(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["url"] = [source_url(s) for s in out["source_id"]]
    return out


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
        self._plot_holder = pn.Column(
            pn.indicators.LoadingSpinner(value=True, size=40, label="Loading eta-V…"),
            sizing_mode="stretch_width", min_height=PLOT_HEIGHT)
        self._hovered = None
        self._pointer = None
        self._ranges = None
        m.param.watch(self._on_data, ["points", "error"])
        m.param.watch(self._render_text, ["eta_threshold", "v_threshold", "selected",
                                          "points"])
        self._layout = pn.Column(
            pn.Row(self._eta_input, self._v_input, self._k_input, self._sigma_button,
                   self._reset_button, sizing_mode="stretch_width"),
            self._alert, self._summary, self._plot_holder, self._card,
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
            bulk = dynspread(rasterize(every, aggregator="count", dynamic=True),
                             threshold=0.5, max_px=3).opts(
                cmap="Greys", cnorm="log", alpha=0.9, tools=[], colorbar=False,
                clipping_colors={"min": "transparent", "NaN": "transparent"}, **axes)
        else:
            bulk = every.opts(color="grey", alpha=0.5, size=3, tools=[], **axes)

        hover = [("source", "@source_id"), ("η", "@eta{0.000}"), ("V", "@v{0.000}"),
                 ("epochs", "@n_obs")]
        vdims = ["source_id", "eta", "v", "n_obs", "url"]

        def candidates(eta_threshold, v_threshold):
            frame = _with_urls(m.candidates)
            return hv.Points(frame, kdims, vdims).opts(
                color=CANDIDATE_COLOR, size=7, line_color="white", hover_tooltips=hover,
                tools=["hover"], hooks=[_navigate_hook], **axes)

        def lines(eta_threshold, v_threshold):
            return (hv.VLine(math.log10(eta_threshold)) * hv.HLine(math.log10(v_threshold))) \
                .opts(hv.opts.VLine(color=CANDIDATE_COLOR, line_dash="dashed", line_width=1.5),
                      hv.opts.HLine(color=CANDIDATE_COLOR, line_dash="dashed", line_width=1.5))

        def highlight(selected, x, y):
            rows = []
            if selected:
                rows.append(pts[pts["source_id"] == selected])
            hovered = self._nearest_to_pointer(x, y)
            if hovered is not None and hovered != selected:
                rows.append(pts[pts["source_id"] == hovered])
            frame = _with_urls(pd.concat(rows) if rows else pts.iloc[:0])
            return hv.Points(frame, kdims, vdims).opts(
                color="rgba(0,0,0,0)", line_color=SELECTED_COLOR, line_width=2.5, size=14,
                hover_tooltips=hover, tools=["hover"], hooks=[_navigate_hook], **axes)

        thresholds = hv.streams.Params(m, ["eta_threshold", "v_threshold"])
        cand = hv.DynamicMap(candidates, streams=[thresholds])
        spans = hv.DynamicMap(lines, streams=[thresholds])
        pointer = hv.streams.PointerXY(x=None, y=None, source=cand)
        self._pointer = pointer
        picked = hv.DynamicMap(highlight, streams=[
            hv.streams.Params(m, ["selected"]), pointer])
        ranges = hv.streams.RangeXY(source=cand)
        self._ranges = ranges
        tap = hv.streams.Tap(source=cand)
        tap.add_subscriber(self._on_tap)
        double = hv.streams.DoubleTap(source=cand)
        double.add_subscriber(self._on_double_tap)
        overlay = (bulk * spans * cand * picked).opts(
            hv.opts.Overlay(**{k: v for k, v in axes.items()
                               if k not in ("hover_tooltips",)}))
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
        return self.model.nearest(x, y, *self._spans(), tolerance=0.015)

    def _on_tap(self, x=None, y=None, **_kw) -> None:
        if x is not None and y is not None:
            self.model.select_at(x, y, *self._spans())

    def _on_double_tap(self, x=None, y=None, **_kw) -> None:
        if x is not None and y is not None:
            self.model.set_thresholds_at(x, y)

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
            f"of {len(m.points):,} sources plotted.{hidden} Click a red point to open it; "
            "double-click to move both thresholds there."
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
