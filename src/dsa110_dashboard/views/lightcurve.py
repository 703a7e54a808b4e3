"""A lightcurve plot: error bars, QA-failed and excluded epochs marked, hover, click.

Fluxes are drawn in mJy (mJy/beam for peak fluxes). Markers: included epochs filled
blue circles, QA-failed epochs orange triangles, excluded epochs hollow grey; the
selected epoch gets a ring. A click selects the nearest epoch (``model.select_nearest``).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from ..viewmodels.source_detail import SourceDetailModel

hv.extension("bokeh", logo=False)

HEIGHT = 380
COLORS = {"included": "#1f77b4", "qa failed": "#ff7f0e", "excluded": "#9e9e9e"}
MARKERS = {"included": "circle", "qa failed": "triangle", "excluded": "circle"}
HOVER = [("date", "@date"), ("MJD", "@mjd{0.00000}"), ("flux", "@flux{0.000} ± @err{0.000}"),
         ("SNR", "@snr{0.0}"), ("image", "@image"), ("QA", "@qa"), ("status", "@status")]
VDIMS = ["flux", "err", "status", "mjd", "date", "snr", "image", "qa", "photometry_id"]


def plot_frame(model: SourceDetailModel) -> pd.DataFrame:
    lc = model.lightcurve
    included = model.included_mask()
    status = np.where(included, "included",
                      np.where(lc["qa_failed"].to_numpy(bool), "qa failed", "excluded"))
    if model.time_axis == "date":
        x = pd.to_datetime(lc["mjd"].to_numpy(float) - 40587.0, unit="D")  # naive UTC
    else:
        x = lc["mjd"].to_numpy(float)
    image_id = pd.to_numeric(lc["image_id"], errors="coerce")
    return pd.DataFrame({
        "x": x, "flux": lc["flux_jy"].to_numpy(float) * 1000.0,
        "err": lc["flux_err_jy"].to_numpy(float) * 1000.0,
        "status": status, "mjd": lc["mjd"].to_numpy(float),
        "date": lc["date"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna(""),
        "snr": lc["snr"].to_numpy(float),
        "image": ["" if pd.isna(i) else str(int(i)) for i in image_id],
        "qa": lc["qa_grade"].fillna("—").astype(str),
        "photometry_id": lc["photometry_id"].to_numpy(),
    })


def flux_label(model: SourceDetailModel) -> str:
    unit = "mJy/beam" if model.flux == "peak" else "mJy"
    return f"Flux density ({unit})"


def _x_number(x) -> float | None:
    """A click's x as the model counts it (MJD, or ms since 1970 on a date axis)."""
    if x is None:
        return None
    if isinstance(x, (np.datetime64, pd.Timestamp, dt.datetime)):
        return pd.Timestamp(x).value / 1e6
    return float(x)


class LightcurvePlot(Viewer):
    model = param.ClassSelector(class_=SourceDetailModel)

    def __init__(self, **params):
        super().__init__(**params)
        self._cached: tuple | None = None
        m = self.model
        stream = hv.streams.Params(m, ["lightcurve", "time_axis", "exclude_qa", "excluded",
                                       "epoch", "flux"])
        # One DynamicMap per layer: a Tap/RangeXY stream attaches to a DynamicMap that
        # returns a single element, not to one that returns an Overlay.
        layers = [hv.DynamicMap(self._bars, streams=[stream])]
        layers += [hv.DynamicMap(self._points_layer(status), streams=[stream])
                   for status in COLORS]
        layers.append(hv.DynamicMap(self._selected, streams=[stream]))
        source = layers[1]
        self._ranges = hv.streams.RangeXY(source=source)
        tap = hv.streams.Tap(source=source)
        tap.add_subscriber(self._on_tap)
        overlay = functools.reduce(operator.mul, layers).opts(
            hv.opts.Overlay(legend_position="top_right", responsive=True, height=HEIGHT))
        self._pane = pn.pane.HoloViews(overlay, sizing_mode="stretch_width",
                                       height=HEIGHT, linked_axes=False)

    def _frame(self) -> pd.DataFrame:
        """The plot's table, built once per change and shared by every layer."""
        m = self.model
        key = (m.time_axis, m.exclude_qa, m.excluded)
        if (self._cached is None or self._cached[0] is not m.lightcurve
                or self._cached[1] != key):
            frame = plot_frame(m) if not m.lightcurve.empty else plot_frame_empty()
            self._cached = (m.lightcurve, key, frame)
        return self._cached[2]

    def _common(self) -> dict:
        m = self.model
        xlabel = "Date (UTC)" if m.time_axis == "date" else "MJD (UTC)"
        return dict(responsive=True, height=HEIGHT, xlabel=xlabel, ylabel=flux_label(m),
                    show_grid=True, framewise=True)

    def _bars(self, **_kw):
        return hv.ErrorBars(self._frame(), "x", ["flux", "err"]).opts(
            color="#888888", line_width=1, **self._common())

    def _points_layer(self, status: str):
        color = COLORS[status]

        def layer(**_kw):
            frame = self._frame()
            part = frame[frame["status"] == status]
            return hv.Points(part, ["x", "flux"], VDIMS[1:], label=status).opts(
                color=color, marker=MARKERS[status], size=8,
                fill_alpha=0.0 if status == "excluded" else 0.9, line_color=color,
                tools=["hover"], hover_tooltips=HOVER, **self._common())

        return layer

    def _selected(self, **_kw):
        m = self.model
        frame = self._frame()
        chosen = frame[frame["photometry_id"] == m.epoch] if m.epoch is not None \
            else frame.iloc[:0]
        return hv.Points(chosen, ["x", "flux"], label="selected").opts(
            color="rgba(0,0,0,0)", line_color="#d62728", line_width=2.5, size=16,
            **self._common())

    def _on_tap(self, x=None, y=None, **_kw) -> None:
        xn = _x_number(x)
        if xn is None or y is None or self.model.lightcurve.empty:
            return
        r = self._ranges
        xs = self.model.x_values()
        ys = self.model.lightcurve["flux_jy"].to_numpy(float) * 1000.0
        x_span = y_span = None
        if r.x_range and None not in r.x_range:
            x_span = _x_number(r.x_range[1]) - _x_number(r.x_range[0])
        if r.y_range and None not in r.y_range:
            y_span = float(r.y_range[1] - r.y_range[0])
        # The visible ranges; before any zoom they may be unknown (None or NaN).
        if not (x_span and np.isfinite(x_span)):
            x_span = float(np.nanmax(xs) - np.nanmin(xs)) or 1.0
        if not (y_span and np.isfinite(y_span)):
            y_span = float(np.nanmax(ys) - np.nanmin(ys)) or 1.0
        self.model.select_nearest(xn, float(y) / 1000.0, x_span, y_span / 1000.0)

    def __panel__(self):
        return self._pane


def plot_frame_empty() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in ("x", "flux", "err", "status", "mjd", "date", "snr",
                                         "image", "qa", "photometry_id")})
