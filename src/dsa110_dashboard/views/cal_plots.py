"""The Calibration page's two plain Bokeh figures: the validity timeline (one lane per
table type, bars coloured by state) and the calibration-QA heat map (time x SPW).

Bars and cells are built from frames the view-model holds; open window ends are drawn to
the edge of the shown range, and an inverted window (ending before it starts) is drawn
from its end to its start with a hatched red outline, so that it is seen, not hidden.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from bokeh.models import (
    ColumnDataSource,
    ColorBar,
    HoverTool,
    LinearColorMapper,
    Span,
)
from bokeh.plotting import figure

from ..science.times import format_mjd, mjd_to_unix_ms

#: State -> bar colour, legible on the light and the dark theme.
STATE_COLOURS = {"active": "#2e7d32", "expired": "#8d5a00", "retired": "#6b7785",
                 "failed": "#c62828"}
OTHER_COLOUR = "#7b1fa2"
TOOLS = "xpan,xwheel_zoom,box_zoom,reset,save"


#: The lane of observations imaged with no valid calibration.
UNCALIBRATED_LANE = "imaged, no cal"


def timeline_figure(windows: pd.DataFrame, since_mjd: float, until_mjd: float,
                    marks: dict[str, float], uncalibrated: pd.DataFrame | None = None):
    """Lanes in apply order; ``marks`` (label -> MJD) are drawn as vertical lines;
    observations imaged with no valid table are red x's in a lane of their own."""
    frame = windows.copy()
    lanes = (frame.sort_values("order_index", na_position="last")["table_type"]
             .astype(str).drop_duplicates().tolist())
    start = frame["valid_start_mjd"].astype(float)
    end = frame["valid_end_mjd"].astype(float)
    inverted = (start > end).fillna(False)
    left = np.where(inverted, end, start)
    right = np.where(inverted, start, end)
    left = np.where(np.isnan(left), since_mjd, left)
    right = np.where(np.isnan(right), until_mjd, right)
    source = ColumnDataSource({
        "lane": frame["table_type"].astype(str).tolist(),
        "left": mjd_to_unix_ms(left), "right": mjd_to_unix_ms(right),
        "colour": [STATE_COLOURS.get(s, OTHER_COLOUR) for s in frame["state"]],
        # A thin rule between back-to-back windows, so that daily sets read as such.
        "line": ["#ff1744" if bad else "#ffffff" for bad in inverted],
        "line_width": [3 if bad else 1 for bad in inverted],
        "hatch": ["/" if bad else " " for bad in inverted],
        "state": [("inverted window, " if bad else "") + str(s)
                  for s, bad in zip(frame["state"], inverted)],
        "set_name": frame["set_name"].astype(str).tolist(),
        "from": [format_mjd(v) or "open" for v in start],
        "to": [format_mjd(v) or "open" for v in end],
    })
    has_uncalibrated = uncalibrated is not None and not uncalibrated.empty
    if has_uncalibrated:
        lanes.append(UNCALIBRATED_LANE)
    fig = figure(height=max(160, 60 + 34 * len(lanes)), sizing_mode="stretch_width",
                 y_range=list(reversed(lanes)) or ["(none)"], x_axis_type="datetime",
                 x_range=(float(mjd_to_unix_ms(since_mjd)), float(mjd_to_unix_ms(until_mjd))),
                 tools=TOOLS, active_scroll="xwheel_zoom", toolbar_location="above",
                 title="Validity windows (scroll to zoom, drag to pan)")
    bars = fig.hbar(y="lane", left="left", right="right", height=0.6, source=source,
                    fill_color="colour", fill_alpha=0.75, line_color="line",
                    line_width="line_width", hatch_pattern="hatch", hatch_color="#ff1744",
                    hatch_alpha=0.6)
    fig.add_tools(HoverTool(renderers=[bars], tooltips=[
        ("set", "@set_name"), ("type", "@lane"), ("state", "@state"),
        ("from", "@from"), ("to", "@to")]))
    if has_uncalibrated:
        obs = ColumnDataSource({
            "x": mjd_to_unix_ms(uncalibrated["mid_mjd"].to_numpy(dtype=float)),
            "lane": [UNCALIBRATED_LANE] * len(uncalibrated),
            "ms": uncalibrated["path"].astype(str).str.rsplit("/", n=1).str[-1].tolist(),
            "stage": uncalibrated["stage"].astype(str).tolist()})
        dots = fig.scatter(x="x", y="lane", source=obs, marker="x", size=9,
                           line_color="#ff1744", line_width=2)
        fig.add_tools(HoverTool(renderers=[dots], tooltips=[
            ("imaged with no valid calibration", "@ms"), ("stage", "@stage")]))
    for label, mjd in marks.items():
        colour = "#2f81f7" if label == "chosen" else "#888888"
        fig.add_layout(Span(location=float(mjd_to_unix_ms(mjd)), dimension="height",
                            line_color=colour, line_width=2,
                            line_dash="solid" if label == "chosen" else "dashed"))
    fig.xaxis.axis_label = "Validity (UTC); blue line: the chosen time, grey: now"
    return fig


def qa_heatmap_figure(cells: pd.DataFrame):
    """One column per calibration-QA row (observation), one row per SPW; problematic
    SPWs (> 0.8 flagged on average, or flagged so by the pipeline) carry an x."""
    times = sorted(cells["mjd"].unique())
    gaps = np.diff(times) if len(times) > 1 else np.array([1 / 288])
    width_ms = float(np.median(gaps)) * 86_400_000 * 0.9 or 60_000.0
    source = ColumnDataSource({
        "x": mjd_to_unix_ms(cells["mjd"].to_numpy(dtype=float)),
        "spw": cells["spw"].astype(int).tolist(),
        "fraction": cells["fraction"].astype(float).tolist(),
        "ms": cells["ms_path"].astype(str).str.rsplit("/", n=1).str[-1].tolist(),
        "when": [format_mjd(v) for v in cells["mjd"]],
        "grade": cells["grade"].astype(str).tolist(),
    })
    mapper = LinearColorMapper(palette="Viridis256", low=0.0, high=1.0)
    fig = figure(height=260, sizing_mode="stretch_width", x_axis_type="datetime",
                 tools=TOOLS, active_scroll="xwheel_zoom", toolbar_location="above",
                 title="Calibration QA: flagged fraction per spectral window")
    rects = fig.rect(x="x", y="spw", width=width_ms, height=0.95, source=source,
                     fill_color={"field": "fraction", "transform": mapper},
                     line_color=None)
    bad = cells[cells["problematic"]]
    fig.scatter(x=mjd_to_unix_ms(bad["mjd"].to_numpy(dtype=float)),
                y=bad["spw"].astype(int).tolist(), marker="x", size=10,
                line_color="#ff1744", line_width=2,
                legend_label="problematic (> 0.8 flagged)")
    fig.add_tools(HoverTool(renderers=[rects], tooltips=[
        ("observation", "@ms"), ("time", "@when"), ("SPW", "@spw"),
        ("flagged", "@fraction{0.000}"),
        ("observation's grade", "@grade (mean flagged fraction)")]))
    fig.add_layout(ColorBar(color_mapper=mapper, title="flagged"), "right")
    fig.yaxis.axis_label = "SPW"
    fig.legend.location = "top_left"
    return fig
