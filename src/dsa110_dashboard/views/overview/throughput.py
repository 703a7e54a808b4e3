"""Images per hour over 24 hours (ending now, or at the latest image of an old
database), with the expected cadence as a reference line."""

from __future__ import annotations

import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Range1d, Span
from bokeh.plotting import figure

from ...viewmodels.overview import utc_text
from ..bar_axis import font_sizes, label_bins
from .base import PlotCard

#: One ~5-minute observation every ~4.3 minutes: ~14 images an hour.
EXPECTED_PER_HOUR = 60 / 4.3


def throughput_plot(per_hour: pd.DataFrame, title: str):
    """A plain Bokeh figure (decision 0036): one bar per hour, labelled by its start;
    bars sit at 0..n-1, as a window of 24 hours can hold the same clock hour twice."""
    frame = pd.DataFrame({
        "i": range(len(per_hour)),
        "hour": per_hour["hour_start"].dt.strftime("%H:00"),
        "images": per_hour["images"].astype(int),
        "start": per_hour["hour_start"].dt.strftime("%Y-%m-%d %H:00 UTC"),
    })
    ymax = max(EXPECTED_PER_HOUR, float(frame["images"].max() if len(frame) else 0)) * 1.15
    fig = figure(title=title, sizing_mode="stretch_width", height=320, toolbar_location=None,
                 x_range=Range1d(-0.6, max(len(frame), 1) - 0.4), y_range=Range1d(0, ymax),
                 x_axis_label="hour starting (UTC)", y_axis_label="images per hour",
                 tools="", output_backend="canvas")
    bars = fig.vbar(x="i", top="images", width=0.8, source=ColumnDataSource(frame),
                    color="#f2a541", line_color=None)
    fig.add_tools(HoverTool(renderers=[bars], tooltips=[("hour", "@start"),
                                                        ("images", "@images")]))
    fig.renderers.append(Span(location=EXPECTED_PER_HOUR, dimension="width",
                              line_color="#6b7785", line_dash="dashed", line_width=2))
    label_bins(fig, list(frame["i"]), list(frame["hour"]), 60)
    font_sizes(fig, "12pt", "11pt", "10pt")
    return fig


class ThroughputCard(PlotCard):
    title = "Images per hour"
    flex = "2 1 560px"
    plot_height = 330

    def data_key(self, snapshot) -> object:
        return snapshot.window_end, tuple(snapshot.per_hour["images"])

    def draw(self, snapshot) -> tuple[object, str]:
        s = snapshot
        # Short titles: the card says what is plotted, and a title wider than the plot
        # is clipped (a 1920 px wall gives this card ~600 px).
        if s.window_is_live:
            title = "Last 24 h"
            note = ""
        else:
            title = f"24 h to the latest image, {utc_text(s.window_end)}"
            note = ("**No images in the real last 24 hours**: the plot shows the 24 hours "
                    "before the latest image instead.")
        total = int(s.per_hour["images"].sum())
        return throughput_plot(s.per_hour, title), (
            f"{total:,} images in the window; dashed line: the expected "
            f"~{EXPECTED_PER_HOUR:.0f} per hour (one every ~4.3 min). " + note)
