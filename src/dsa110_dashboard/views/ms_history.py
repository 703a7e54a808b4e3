"""The funnel over time on /ms: observations per hour or per UTC night, stacked by the
stage each one is in now (HoloViews bars; colours fixed per stage so that the legend
reads the same on every window and theme)."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401 - registers the backend for .opts()
import numpy as np
import pandas as pd

from ..repositories.ms_funnel import STAGES, stage_order
from ..science.times import format_mjd
from ..viewmodels.ms_history import WINDOWS, FunnelHistory

#: Stage -> colour, from early (greys, blues) to done (greens); unknown stages grey.
STAGE_COLOURS = dict(zip(STAGES, ("#9e9e9e", "#78909c", "#42a5f5", "#1565c0", "#f2a541",
                                  "#66bb6a", "#2e7d32", "#1b5e20"), strict=True))
OTHER_COLOUR = "#bdbdbd"


def history_frame(h: FunnelHistory) -> pd.DataFrame:
    """Every bin of the window (empty ones too) x the stages present, with labels."""
    _label, days, step = WINDOWS[h.window]
    end_bin = np.floor(h.end_mjd / step) * step
    n = round(days / step)
    bins = [end_bin - (n - 1 - i) * step for i in range(n)]
    stages = sorted(set(h.counts["stage"]),
                    key=lambda s: stage_order(None if s == "(no stage)" else s)) or ["(none)"]
    full = pd.MultiIndex.from_product([bins, stages], names=["bin_mjd", "stage"])
    counts = (h.counts.set_index(["bin_mjd", "stage"])["count"]
              if len(h.counts) else pd.Series(dtype=int))
    frame = pd.DataFrame(index=full).join(counts.rename("count")).fillna(0).reset_index()
    hourly = step < 1
    frame["bin"] = [(format_mjd(b) or "")[11:16] if hourly else (format_mjd(b) or "")[:10]
                    for b in frame["bin_mjd"]]
    frame["count"] = frame["count"].astype(int)
    return frame[["bin", "stage", "count"]]


def history_plot(h: FunnelHistory) -> hv.Bars:
    frame = history_frame(h)
    label, _days, step = WINDOWS[h.window]
    colours = {s: STAGE_COLOURS.get(s, OTHER_COLOUR) for s in frame["stage"].unique()}
    return hv.Bars(frame, kdims=["bin", "stage"], vdims=["count"]).opts(
        stacked=True, cmap=colours, tools=["hover"], responsive=True, height=260,
        toolbar=None, xrotation=60 if step < 1 else 45, legend_position="right",
        ylabel="observations", xlabel="hour starting (UTC)" if step < 1 else "UTC night",
        title=f"{label}, by stage now", line_color=None,
        fontsize={"title": "11pt", "labels": "10pt", "xticks": "9pt", "yticks": "9pt"})
