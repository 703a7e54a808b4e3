"""Images per hour over 24 hours (ending now, or at the latest image of an old
database), with the expected cadence as a reference line."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401 - registers the backend for .opts()
import pandas as pd

from ...viewmodels.overview import utc_text
from .base import PlotCard

#: One ~5-minute observation every ~4.3 minutes: ~14 images an hour.
EXPECTED_PER_HOUR = 60 / 4.3


def throughput_plot(per_hour: pd.DataFrame, title: str) -> hv.Overlay:
    frame = pd.DataFrame({
        "hour": per_hour["hour_start"].dt.strftime("%H:00"),
        "images": per_hour["images"].astype(int),
        "start": per_hour["hour_start"].dt.strftime("%Y-%m-%d %H:00 UTC"),
    })
    bars = hv.Bars(frame, kdims=["hour"], vdims=["images", "start"]).opts(
        color="#f2a541", line_color=None, tools=["hover"], xrotation=60,
        ylabel="images per hour", xlabel="hour starting (UTC)")
    expected = hv.HLine(EXPECTED_PER_HOUR).opts(color="#6b7785", line_dash="dashed",
                                                line_width=2)
    ymax = max(EXPECTED_PER_HOUR, float(frame["images"].max() if len(frame) else 0)) * 1.15
    return (bars * expected).opts(
        title=title, responsive=True, height=320, ylim=(0, ymax), toolbar=None,
        fontsize={"title": "12pt", "labels": "11pt", "xticks": "10pt", "yticks": "10pt"})


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
