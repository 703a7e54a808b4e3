"""A lightcurve plot: error bars, QA-failed, flagged-bad and excluded epochs marked,
hover, click.

Fluxes are drawn in mJy (mJy/beam for peak fluxes). Markers: included epochs filled
blue circles, QA-failed epochs orange triangles, epochs whose image a person flagged bad
red crosses (red diamonds while "include flagged" counts them), excluded epochs hollow
grey; the selected epoch gets a ring. A click selects the nearest epoch (``model.select_nearest``).

One plain Bokeh figure whose data sources are updated in place, not a HoloViews
overlay rebuilt on each change: a 5,000-epoch lightcurve then costs one data message
(see docs/decisions/0019-lightcurve-plain-bokeh.md). An exclusion resends only the
status column and keeps the user's zoom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh import events
from bokeh.models import (
    BasicTicker,
    BasicTickFormatter,
    CDSView,
    ColumnDataSource,
    DatetimeTicker,
    DatetimeTickFormatter,
    GroupFilter,
    HoverTool,
    Range1d,
)
from bokeh.plotting import figure
from panel.viewable import Viewer

from ..viewmodels.source_detail import SourceDetailModel
from .background import in_document, update_figure

HEIGHT = 380
FLAGGED, FLAGGED_COUNTED = "flagged bad", "flagged bad, counted"
COLORS = {"included": "#1f77b4", "qa failed": "#ff7f0e", FLAGGED: "#d32f2f",
          FLAGGED_COUNTED: "#d32f2f", "excluded": "#9e9e9e"}
MARKERS = {"included": "circle", "qa failed": "triangle", FLAGGED: "x",
           FLAGGED_COUNTED: "diamond", "excluded": "circle"}


def hover_rows(unit: str) -> list[tuple[str, str]]:
    return [("date", "@date"), ("MJD", "@mjd{0.00000}"),
            ("flux", f"@flux{{0.000}} ± @err{{0.000}} {unit}"), ("SNR", "@snr{0.0}"),
            ("image", "@image"), ("QA", "@qa"), ("flag", "@flag"), ("status", "@status")]


COLUMNS = ("x", "flux", "err", "lo", "hi", "status", "mjd", "date", "snr", "image", "qa",
           "flag", "photometry_id")
#: Blank space around the data, as a fraction of its span.
PAD = 0.05
MS_PER_DAY = 86400_000.0


def statuses(model: SourceDetailModel) -> np.ndarray:
    lc = model.lightcurve
    included = model.included_mask()
    flagged = lc["flagged_bad"].to_numpy(bool)
    hand = lc["photometry_id"].isin(model.excluded_ids).to_numpy(bool)
    return np.select(
        [included & flagged, included, flagged & ~hand, lc["qa_failed"].to_numpy(bool)],
        [FLAGGED_COUNTED, "included", FLAGGED, "qa failed"], "excluded")


def plot_columns(model: SourceDetailModel) -> dict[str, np.ndarray | list]:
    """The plot's data source columns (fluxes in mJy; x in MJD or ms since 1970)."""
    lc = model.lightcurve
    if lc.empty:
        return {c: [] for c in COLUMNS}
    flux = lc["flux_jy"].to_numpy(float) * 1000.0
    err = lc["flux_err_jy"].to_numpy(float) * 1000.0
    image_id = pd.to_numeric(lc["image_id"], errors="coerce")
    return {
        "x": model.x_values().astype(float), "flux": flux, "err": err,
        "lo": flux - err, "hi": flux + err, "status": statuses(model),
        "mjd": lc["mjd"].to_numpy(float),
        "date": lc["date"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("").to_numpy(object),
        "snr": lc["snr"].to_numpy(float),
        "image": np.array(["" if pd.isna(i) else str(int(i)) for i in image_id], object),
        "qa": lc["qa_grade"].fillna("—").astype(str).to_numpy(object),
        "flag": np.array([f"{v} ({u})" if isinstance(v, str) else "—"
                          for v, u in zip(lc["flag_verdict"], lc["flag_user"])], object),
        "photometry_id": lc["photometry_id"].to_numpy(np.int64),
    }


def padded(lo: float, hi: float, single: float) -> tuple[float, float]:
    """[lo, hi] with a margin; ``single`` is the half-width shown when lo == hi."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return 0.0, 1.0
    margin = (hi - lo) * PAD if hi > lo else single
    return lo - margin, hi + margin


def data_ranges(columns: dict, time_axis: str) -> tuple[tuple, tuple]:
    """x and y ranges that show every epoch and its error bar."""
    x = np.asarray(columns["x"], float)
    if not len(x) or not np.isfinite(x).any():
        return (0.0, 1.0), (0.0, 1.0)
    lo = np.asarray(columns["lo"], float)
    hi = np.asarray(columns["hi"], float)
    flux = np.asarray(columns["flux"], float)
    y_lo = np.nanmin(np.where(np.isfinite(lo), lo, flux))
    y_hi = np.nanmax(np.where(np.isfinite(hi), hi, flux))
    one_day = MS_PER_DAY if time_axis == "date" else 1.0
    return (padded(np.nanmin(x), np.nanmax(x), one_day),
            padded(y_lo, y_hi, abs(y_hi) * 0.1 or 1.0))


def flux_unit(model: SourceDetailModel) -> str:
    return "mJy/beam" if model.flux == "peak" else "mJy"


def flux_label(model: SourceDetailModel) -> str:
    return f"Flux density ({flux_unit(model)})"


class LightcurvePlot(Viewer):
    model = param.ClassSelector(class_=SourceDetailModel)

    def __init__(self, **params):
        super().__init__(**params)
        self._source = ColumnDataSource(data={c: [] for c in COLUMNS})
        self._ring = ColumnDataSource(data={"x": [], "flux": []})
        self._axis_kind: str | None = None
        self.figure = self._build_figure()
        self.figure.on_event(events.Tap, self._on_tap)
        # Wrapped in a layout: its ``loading`` may be switched from a worker thread
        # (Panel syncs a layout safely; on a Bokeh pane it would set the figure's own
        # properties outside the document lock).
        self.pane = pn.Column(pn.pane.Bokeh(self.figure, sizing_mode="stretch_width",
                                            height=HEIGHT), sizing_mode="stretch_width")
        m = self.model
        m.param.watch(self._on_data, ["lightcurve", "time_axis"])
        m.param.watch(self._on_status, ["exclude_qa", "include_flagged", "excluded"])
        m.param.watch(self._on_epoch, ["epoch"])
        self._show_data()

    def _build_figure(self):
        fig = figure(height=HEIGHT, sizing_mode="stretch_width",
                     x_range=Range1d(0, 1), y_range=Range1d(0, 1),
                     tools="pan,wheel_zoom,box_zoom,reset,save",
                     active_drag="pan", active_scroll="wheel_zoom",
                     toolbar_location="right", output_backend="canvas")
        fig.segment("x", "lo", "x", "hi", source=self._source, color="#888888", line_width=1)
        points = []
        for status, color in COLORS.items():
            view = CDSView(filter=GroupFilter(column_name="status", group=status))
            points.append(fig.scatter(
                "x", "flux", source=self._source, view=view, marker=MARKERS[status],
                size=10 if MARKERS[status] == "x" else 8, color=color, line_color=color,
                line_width=2 if MARKERS[status] == "x" else 1,
                fill_alpha=0.0 if status == "excluded" else 0.9, legend_label=status))
        fig.scatter("x", "flux", source=self._ring, size=16, fill_color=None,
                    line_color="#d62728", line_width=2.5)
        self._hover = HoverTool(renderers=points, tooltips=hover_rows("mJy"))
        fig.add_tools(self._hover)
        # Above the plot, not over it: the newest epochs sit at the top right.
        legend = fig.legend[0]
        fig.center.remove(legend)
        legend.orientation = "horizontal"
        legend.location = "top_left"
        fig.add_layout(legend, "above")
        # One legend entry per status, in COLORS order; an empty one is hidden (Bokeh
        # would show its label without a marker).
        self._legend = dict(zip(COLORS, fig.legend[0].items))
        fig.xgrid.visible = fig.ygrid.visible = True
        return fig

    # ---------------------------------------------------------------- updates
    def _apply(self, update) -> None:
        update_figure(self.figure, update)

    def _on_data(self, *_events) -> None:
        self._apply(self._show_data)

    def _on_status(self, *_events) -> None:
        if self.model.lightcurve.empty:
            return
        status = statuses(self.model)

        def update() -> None:
            self._source.data.update(status=status)
            self._show_legend(status)

        self._apply(update)

    def _on_epoch(self, *_events) -> None:
        self._apply(self._show_epoch)

    def _show_data(self) -> None:
        m = self.model
        columns = plot_columns(m)
        self._source.data = columns
        (x0, x1), (y0, y1) = data_ranges(columns, m.time_axis)
        fig = self.figure
        fig.x_range.update(start=x0, end=x1, reset_start=x0, reset_end=x1)
        fig.y_range.update(start=y0, end=y1, reset_start=y0, reset_end=y1)
        self._show_legend(np.asarray(columns["status"]))
        if m.time_axis != self._axis_kind:
            self._set_time_axis(m.time_axis)
        fig.yaxis[0].axis_label = flux_label(m)
        self._hover.tooltips = hover_rows(flux_unit(m))
        self._show_epoch()

    def _show_legend(self, status: np.ndarray) -> None:
        present = set(np.unique(status).tolist())
        for name, item in self._legend.items():
            item.visible = name in present

    def _set_time_axis(self, kind: str) -> None:
        axis = self.figure.xaxis[0]
        if kind == "date":
            # ISO dates: Bokeh's default days format (10/14) reads month/day.
            axis.update(ticker=DatetimeTicker(),
                        formatter=DatetimeTickFormatter(days="%Y-%m-%d", months="%Y-%m",
                                                        hours="%m-%d %H:%M"),
                        axis_label="Date (UTC)")
        else:
            axis.update(ticker=BasicTicker(), formatter=BasicTickFormatter(use_scientific=False),
                        axis_label="MJD (UTC)")
        self._axis_kind = kind

    def _show_epoch(self) -> None:
        m = self.model
        lc = m.lightcurve
        if m.epoch is None or lc.empty:
            self._ring.data = {"x": [], "flux": []}
            return
        hit = (lc["photometry_id"] == m.epoch).to_numpy(bool)
        self._ring.data = {"x": m.x_values()[hit].astype(float),
                           "flux": lc["flux_jy"].to_numpy(float)[hit] * 1000.0}

    # ------------------------------------------------------------------ click
    def _on_tap(self, event: events.Tap) -> None:
        if event.x is None or event.y is None or self.model.lightcurve.empty:
            return
        fig = self.figure
        x_span = float(fig.x_range.end - fig.x_range.start) or 1.0
        y_span = float(fig.y_range.end - fig.y_range.start) or 1.0
        with in_document(fig.document):
            self.model.select_nearest(float(event.x), float(event.y) / 1000.0,
                                      x_span, y_span / 1000.0)

    def __panel__(self):
        return self.pane
