"""The eta-V plot: every source, thresholds, candidates; click a point to open it.

One plain Bokeh figure (decision 0035; the lightcurve's reasons, 0019): HoloViews and
datashader cost the page seconds on the server for a plot of a few glyphs.

Axes: the plot is drawn in log10(eta) / log10(V) space and the axes are labelled in
linear values at fixed ticks (1, 2, 5 x 10^n): the axes read as honest log axes (an
image of counts cannot be drawn on Bokeh's own log axes).

Every source is drawn. Above ``RASTER_ABOVE`` sources the bulk is one image of counts
per screen pixel (``viewmodels.density``), computed for the visible region at the
frame's size in pixels (again after every zoom or pan; the first one at a guessed size,
which the browser stretches over the frame, and redrawn at the reported size only when
that size is far from it), each source spread to a 3 x 3 pixel dot, and sent as 8-bit
log colour levels (``density.log_levels``: half the bytes of the counts, all the colours
the palette has); its colormap starts at a mid grey that stands out on the background of
either theme and darkens (light theme) or brightens (dark theme) with the count; empty
pixels are transparent. (A colormap that starts at white drew every sparse source white
on the light theme's white.) The candidates (at or above both thresholds), the point
under the cursor and the selected point are real glyphs with hover, so the plot stays
light at 100,000 sources.

Clicking: the bulk is an image, so the browser cannot tell which source was clicked.
Every click goes to the server (Bokeh's ``Tap`` event), which takes the nearest
source within ``PICK_TOLERANCE`` of the visible axis spans (the rule that rings the
point under the cursor) and sends the browser to its page through a hidden input whose
value change runs ``window.location.assign``. One path for every point: a grey point
and a red one open the same way; a click on empty space opens nothing.

Thresholds: typed in two inputs, set to mean + k sigma of the log distributions with a
button, or dragged: the dashed lines are ``editable`` Bokeh ``Span``s (Bokeh moves them
in the browser, in the plot's data units: log10). When the drag ends its place reaches
the server and ``EtaVModel.move_threshold`` applies it, so the inputs, the candidates and
the URL follow exactly as for typing; typing moves the line back the other way.

Loading: the points are read while the page is being created (``load_early``), so they
usually travel with the page itself; until they are shown a spinner holds the plot's
place, and it leaves in the same message that brings the plot.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh import events
from bokeh.models import (
    ColumnDataSource,
    CustomJS,
    FixedTicker,
    HoverTool,
    LinearColorMapper,
    Range1d,
    Span,
)
from bokeh.palettes import interp_palette
from bokeh.plotting import figure
from panel.viewable import Viewer

from ..viewmodels.density import LEVELS, density, log_levels
from ..viewmodels.eta_v import EtaVModel
from ..viewmodels.sources import source_url
from .background import in_document, is_served, load_early, update_figure
from .raster_size import needs_resample, reported
from .shell import session_theme
from .urlstate import notes_alert

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
#: The bulk's first image, before the browser has reported the frame's size: the frame's
#: height at ``PLOT_HEIGHT``, and a width between the frames of 1280- and 1920-pixel wide
#: windows (1132-1147 and 1772-1787 measured): both show it within
#: ``raster_size.RESAMPLE_FACTOR``.
FIRST_FRAME_PX = (1440, 410)
TRANSPARENT = "rgba(0, 0, 0, 0)"
HOVER = [("source", "@source_id"), ("η", "@eta{0.000}"), ("V", "@v{0.000}"),
         ("epochs", "@n_obs")]
GLYPH_COLUMNS = ["log_eta", "log_v", "source_id", "eta", "v", "n_obs"]

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


def _label_log_axis(axis, ticks: list[tuple[float, str]]) -> None:
    axis.ticker = FixedTicker(ticks=[t for t, _ in ticks])
    axis.major_label_overrides = {t: label for t, label in ticks}


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


def _glyph_frame(frame: pd.DataFrame) -> dict:
    return {c: frame[c].to_numpy() for c in GLYPH_COLUMNS}


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
        self._figure = None
        self._bulk_key: tuple | None = None
        self._bulk_cache: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
        self._hovered: str | None = None
        self._pointer: tuple[float, float] | None = None
        m.param.watch(self._on_data, ["points", "error"])
        m.param.watch(self._on_thresholds, ["eta_threshold", "v_threshold"])
        m.param.watch(self._on_pick, ["selected"])
        m.param.watch(self._render_text, ["eta_threshold", "v_threshold", "selected",
                                          "points"])
        self._layout = pn.Column(
            pn.Row(self._eta_input, self._v_input, self._k_input, self._sigma_button,
                   self._reset_button, sizing_mode="stretch_width"),
            self._notes, self._alert, self._summary, self._plot_holder, self._card,
            self._navigator,
            sizing_mode="stretch_width")

    # ------------------------------------------------------------------ data
    def _on_data(self, *_events) -> None:
        m = self.model
        if m.error:
            self._alert.param.update(object=f"**eta-V plot unavailable.** {m.error}",
                                     visible=True)
            self._plot_holder[:] = []
            return
        self._alert.visible = False
        if m.points.empty:
            self._plot_holder[:] = [pn.pane.Markdown(
                "No source has both η and V defined and positive yet: nothing to plot.")]
            return
        self._plot_holder[:] = [pn.pane.Bokeh(self._build_plot(),
                                              sizing_mode="stretch_width",
                                              height=PLOT_HEIGHT)]
        self._render_text()

    # ------------------------------------------------------------------ plot
    def _build_plot(self):
        """A new figure for new points (at load: once); thresholds, the selection and
        the view update it in place."""
        pts = self.model.points
        xlo, xhi = float(pts["log_eta"].min()), float(pts["log_eta"].max())
        ylo, yhi = float(pts["log_v"].min()), float(pts["log_v"].max())
        pad_x, pad_y = max(0.05 * (xhi - xlo), 0.1), max(0.05 * (yhi - ylo), 0.1)
        xlim, ylim = (xlo - pad_x, xhi + pad_x), (ylo - pad_y, yhi + pad_y)
        fig = figure(x_range=Range1d(*xlim, reset_start=xlim[0], reset_end=xlim[1]),
                     y_range=Range1d(*ylim, reset_start=ylim[0], reset_end=ylim[1]),
                     sizing_mode="stretch_width", height=PLOT_HEIGHT,
                     x_axis_label="η (log scale)", y_axis_label="V = std/mean (log scale)",
                     tools="pan,wheel_zoom,box_zoom,reset,save", active_scroll="wheel_zoom",
                     toolbar_location="right", output_backend="canvas")
        fig.toolbar.logo = None
        _label_log_axis(fig.xaxis[0], log_ticks(*xlim))
        _label_log_axis(fig.yaxis[0], log_ticks(*ylim))

        self._bulk_mapper = None
        self._bulk_key = None  # new points: an id() of the old ones may be reused
        self._frame_px = self._image_px = FIRST_FRAME_PX
        self._redraw_pending = False
        self._bulk_source = ColumnDataSource(data={"image": [], "x": [], "y": [], "dw": [],
                                                   "dh": []})
        if len(pts) > RASTER_ABOVE:
            # The server sends 8-bit log levels (``log_levels``), not counts: one
            # colour per level, level 0 (empty) transparent.
            palette = interp_palette(BULK_CMAP[session_theme()], LEVELS)
            self._bulk_mapper = LinearColorMapper(palette=palette, low=1, high=LEVELS,
                                                  low_color=TRANSPARENT,
                                                  nan_color=TRANSPARENT)
            fig.image(image="image", x="x", y="y", dw="dw", dh="dh",
                      source=self._bulk_source, color_mapper=self._bulk_mapper)
            self._raster(xlim, ylim)
        else:
            fig.scatter("log_eta", "log_v", source=ColumnDataSource(_glyph_frame(pts)),
                        color="grey", alpha=0.5, size=3)

        line = dict(line_color=CANDIDATE_COLOR, line_dash="dashed", line_width=2,
                    hover_line_color=CANDIDATE_COLOR, hover_line_alpha=1.0,
                    hover_line_width=4, editable=True)
        self._spans = {}
        for name, dimension in (("eta_threshold", "height"), ("v_threshold", "width")):
            span = Span(location=math.log10(getattr(self.model, name)), dimension=dimension,
                        tags=["dsa-threshold", name], **line)
            span.js_on_change("location", CustomJS(args={"span": span},
                                                   code=_COMMIT_ON_DRAG_END_JS))
            span.on_change("tags", self._dragged(name))
            fig.renderers.append(span)  # among the renderers: drawn under the candidates
            self._spans[name] = span

        self._cand_source = ColumnDataSource(_glyph_frame(self.model.candidates))
        cand = fig.scatter("log_eta", "log_v", source=self._cand_source,
                           color=CANDIDATE_COLOR, size=7, line_color="white")
        self._ring_source = ColumnDataSource(_glyph_frame(pts.iloc[:0]))
        # On the overlay layer: the browser repaints only it when the ring moves (the
        # cursor's source changes), not the bulk and thousands of candidates under it.
        ring = fig.scatter("log_eta", "log_v", source=self._ring_source, size=14,
                           fill_color=None, line_color=SELECTED_COLOR, line_width=2.5,
                           level="overlay")
        fig.add_tools(HoverTool(renderers=[cand, ring], tooltips=HOVER))

        fig.on_event(events.Tap, self._tap)
        # A click soon after another is reported as a double tap only: one more click.
        fig.on_event(events.DoubleTap, self._tap)
        fig.on_event(events.MouseMove, self._moved)
        fig.on_event(events.MouseLeave, self._left)
        fig.on_event(events.RangesUpdate, self._view_changed)
        fig.on_change("inner_width", self._resized)
        fig.on_change("inner_height", self._resized)
        self._figure = fig
        self._update_ring()
        return fig

    def _raster(self, x_range, y_range) -> None:
        """The bulk's image for the visible ranges at the frame's size."""
        x, y = self._bulk_xy()
        width, height = self._frame_px
        view = density(x, y, x_range, y_range, width, height)
        self._image_px = (width, height)
        self._bulk_source.data = {"image": [log_levels(view.counts)], "x": [view.x0],
                                  "y": [view.y0], "dw": [view.dw], "dh": [view.dh]}

    def _bulk_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """The bulk's log eta and log V, kept until the points or a threshold change:
        every zoom and pan redraws the bulk, and taking it out of the points afresh
        (a filtered copy of every column) cost each redraw more than the binning."""
        m = self.model
        key = (id(m.points), m.eta_threshold, m.v_threshold)
        if self._bulk_key != key:
            keep = ~m.candidate_mask()
            self._bulk_cache = (m.points["log_eta"].to_numpy()[keep],
                                m.points["log_v"].to_numpy()[keep])
            self._bulk_key = key
        return self._bulk_cache

    def _visible(self) -> tuple[tuple[float, float], tuple[float, float]]:
        fig = self._figure
        return ((fig.x_range.start, fig.x_range.end), (fig.y_range.start, fig.y_range.end))

    def _redraw_bulk(self) -> None:
        if self._bulk_mapper is None:
            return
        (x0, x1), (y0, y1) = self._visible()
        if None in (x0, x1, y0, y1) or not (x1 > x0 and y1 > y0):
            return
        self._raster((x0, x1), (y0, y1))

    def _view_changed(self, event: events.RangesUpdate) -> None:
        if None not in (event.x0, event.x1, event.y0, event.y1):
            # The event can overtake the ranges' own property changes.
            self._figure.x_range.update(start=event.x0, end=event.x1)
            self._figure.y_range.update(start=event.y0, end=event.y1)
        self._redraw_bulk()

    def _resized(self, attr, _old, new) -> None:
        """The browser reports the frame's width and height one at a time (in one
        message, at the first render). Later images (zoom, pan) are drawn at that size;
        the one shown is redrawn (once, on the next tick) only if it is too coarse or
        too fine for it (``needs_resample``)."""
        if not new:
            return
        size = reported(self._frame_px, attr, new)
        if size == self._frame_px:
            return
        self._frame_px = size
        if not self._redraw_pending:
            self._redraw_pending = True
            self._figure.document.add_next_tick_callback(self._redraw_resized)

    def _redraw_resized(self) -> None:
        self._redraw_pending = False
        if needs_resample(self._image_px, self._frame_px):
            self._redraw_bulk()

    def _apply(self, update) -> None:
        update_figure(self._figure, update)

    def _on_thresholds(self, *_events) -> None:
        if self._figure is None or self.model.points.empty:
            return

        def update() -> None:
            for name, span in self._spans.items():
                span.location = math.log10(getattr(self.model, name))
            self._cand_source.data = _glyph_frame(self.model.candidates)
            self._redraw_bulk()  # a source that stopped being a candidate joins the bulk

        self._apply(update)

    def _dragged(self, name: str):
        def committed(_attr, _old, tags) -> None:
            places = [t for t in tags
                      if isinstance(t, (int, float)) and not isinstance(t, bool)]
            if places:
                self.model.move_threshold(name, float(places[-1]))
        return committed

    # ------------------------------------------------------------- pointer
    def _spans_now(self) -> tuple[float, float]:
        pts = self.model.points
        if self._figure is not None:
            (x0, x1), (y0, y1) = self._visible()
            if None not in (x0, x1, y0, y1):
                spans = (x1 - x0, y1 - y0)
                if all(np.isfinite(spans)) and min(spans) > 0:
                    return spans
        return (float(np.ptp(pts["log_eta"])) or 1.0, float(np.ptp(pts["log_v"])) or 1.0)

    def _nearest_to_pointer(self, x, y) -> str | None:
        if x is None or y is None or self.model.points.empty:
            return None
        return self.model.nearest(x, y, *self._spans_now(), tolerance=PICK_TOLERANCE)

    def _moved(self, event: events.MouseMove) -> None:
        hovered = self._nearest_to_pointer(event.x, event.y)
        if hovered != self._hovered:
            self._hovered = hovered
            self._update_ring()

    def _left(self, _event) -> None:
        if self._hovered is not None:
            self._hovered = None
            self._update_ring()

    def _on_pick(self, *_events) -> None:
        if self._figure is not None:
            self._apply(self._update_ring)

    def _update_ring(self) -> None:
        """Rings around the selected source and the one under the cursor."""
        wanted = [s for s in (self.model.selected, self._hovered) if s]
        self._ring_source.data = _glyph_frame(self.model.rows_of(wanted))

    def _tap(self, event) -> None:
        # Bokeh's own callbacks run without Panel's current document.
        with in_document(self._figure.document):
            self._on_tap(x=event.x, y=event.y)

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
            load_early(self.model.fetch, self.model.apply)
        else:
            self.model.refresh()
        return self._layout


def _int(value) -> str:
    try:
        return f"{int(value)}"
    except (TypeError, ValueError):
        return "?"
