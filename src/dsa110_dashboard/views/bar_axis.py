"""The x axis of plain Bokeh bar charts over time bins (the Overview's images per hour,
/ms's funnel over time): bars at 0..n-1 labelled by their bins, so that a label may
repeat (a clock hour twice in 24 hours), slanted to fit."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bokeh.models import FixedTicker


def label_bins(fig, positions: Sequence[int], labels: Sequence[str], degrees: float) -> None:
    axis = fig.xaxis[0]
    axis.ticker = FixedTicker(ticks=list(positions))
    axis.major_label_overrides = dict(zip(positions, labels))
    axis.major_label_orientation = math.radians(degrees)
    fig.xgrid.visible = False


def font_sizes(fig, title: str, labels: str, ticks: str) -> None:
    fig.title.text_font_size = title
    for axis in (*fig.xaxis, *fig.yaxis):
        axis.axis_label_text_font_size = labels
        axis.major_label_text_font_size = ticks
