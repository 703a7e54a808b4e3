"""The funnel over time on /ms: observations per hour or per UTC night, stacked by the
stage each one is in now (plain Bokeh stacked bars; colours fixed per stage so that the
legend reads the same on every window and theme)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from bokeh.models import (
    ColumnDataSource,
    HoverTool,
    Legend,
    LegendItem,
    Range1d,
)
from bokeh.plotting import figure

from ..repositories.ms_funnel import STAGES, stage_order
from ..science.times import format_mjd
from ..viewmodels.ms_history import WINDOWS, FunnelHistory
from .bar_axis import font_sizes, label_bins

#: Stage -> colour, from early (greys, blues) to done (greens); unknown stages grey.
STAGE_COLOURS = dict(zip(STAGES, ("#9e9e9e", "#78909c", "#42a5f5", "#1565c0", "#f2a541",
                                  "#66bb6a", "#2e7d32", "#1b5e20"), strict=True))
OTHER_COLOUR = "#bdbdbd"


def history_frame(h: FunnelHistory) -> pd.DataFrame:
    """Every bin of the window (empty ones too) x the stages present, with labels.

    Bins are matched by their index (start / bin width), not by their start MJD: the
    view-model's floor per row and this window's starts differ in the last bits, and a
    join on floats dropped those bins' observations (14 of 34 on a demo's 24 hours)."""
    _label, days, step = WINDOWS[h.window]
    end_index = math.floor(h.end_mjd / step)
    n = round(days / step)
    bins = list(range(end_index - n + 1, end_index + 1))
    stages = sorted(set(h.counts["stage"]),
                    key=lambda s: stage_order(None if s == "(no stage)" else s)) or ["(none)"]
    full = pd.MultiIndex.from_product([bins, stages], names=["bin_index", "stage"])
    if len(h.counts):
        counts = h.counts.assign(
            bin_index=np.round(h.counts["bin_mjd"].astype(float) / step).astype(int)
        ).groupby(["bin_index", "stage"])["count"].sum()
    else:
        counts = pd.Series(dtype=int)
    frame = pd.DataFrame(index=full).join(counts.rename("count")).fillna(0).reset_index()
    hourly = step < 1
    # A second into the bin: an hour's start as a float MJD can print as hh:59.
    labels = {i: format_mjd(i * step + 1 / 86_400) or "" for i in bins}
    frame["bin"] = [labels[i][11:16] if hourly else labels[i][:10] for i in frame["bin_index"]]
    frame["count"] = frame["count"].astype(int)
    return frame[["bin", "stage", "count"]]


def history_plot(h: FunnelHistory):
    """A plain Bokeh figure (decisions 0035, 0056: HoloViews cost ~350 ms of server CPU
    per page for this one plot): one renderer of stacked bars, bins at 0..n-1 labelled
    by their start (a window of 24 hours can hold the same clock hour twice), the stage
    of each segment in a colour column so that the legend can name each stage by one of
    its rows."""
    frame = history_frame(h)
    label, _days, step = WINDOWS[h.window]
    hourly = step < 1
    stages = list(dict.fromkeys(frame["stage"]))
    bins = list(dict.fromkeys(frame["bin"]))
    position = {b: i for i, b in enumerate(bins)}
    # Earliest stage at the bottom of each stack, as HoloViews stacked them.
    top = frame.groupby("bin", sort=False)["count"].cumsum()
    source = ColumnDataSource({
        "x": frame["bin"].map(position).to_numpy(),
        "bottom": (top - frame["count"]).to_numpy(),
        "top": top.to_numpy(),
        "bin": frame["bin"].to_numpy(),
        "stage": frame["stage"].to_numpy(),
        "count": frame["count"].to_numpy(),
        "colour": [STAGE_COLOURS.get(s, OTHER_COLOUR) for s in frame["stage"]],
    })
    ymax = float(top.max()) if len(top) else 0.0
    fig = figure(title=f"{label}, by stage now", sizing_mode="stretch_width", height=260,
                 toolbar_location=None, tools="", output_backend="canvas",
                 x_range=Range1d(-0.5, max(len(bins), 1) - 0.5),
                 y_range=Range1d(0, max(ymax, 1.0) * 1.05),
                 x_axis_label="hour starting (UTC)" if hourly else "UTC night",
                 y_axis_label="observations")
    bars = fig.vbar(x="x", bottom="bottom", top="top", width=0.8, source=source,
                    fill_color="colour", line_color=None)
    fig.add_tools(HoverTool(renderers=[bars], tooltips=[
        ("bin", "@bin"), ("stage", "@stage"), ("count", "@count")]))
    # Legend rows top to bottom in pipeline order; each drawn from its stage's first row.
    first_row = {s: int(i) for i, s in zip(frame.index[::-1], frame["stage"][::-1])}
    fig.add_layout(Legend(items=[LegendItem(label=s, renderers=[bars], index=first_row[s])
                                 for s in stages],
                          location=(0, 0)), "right")
    label_bins(fig, range(len(bins)), bins, 60 if hourly else 45)
    fig.ygrid.visible = False
    font_sizes(fig, "11pt", "10pt", "9pt")
    return fig
