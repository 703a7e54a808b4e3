"""The /health page's latency plot: response time per check over the kept window (plain
Bokeh), a line per check with gaps where a check timed out; the check chosen in the URL
alone, or all of them."""

from __future__ import annotations

import math

from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from ..status.checks import HistoryPoint
from .background import update_figure


class LatencyPlot:
    """Response time per check over the kept window: a line per check (gaps where a
    check timed out), the one chosen in the URL alone or all of them."""

    def __init__(self, names: list[str], rollover: int | None = None):
        self.rollover = rollover
        self._sent: dict[str, float] = {}
        self.fig = figure(height=max(300, 60 + 16 * len(names)), sizing_mode="stretch_width",
                          x_axis_type="datetime", tools="xpan,xwheel_zoom,box_zoom,reset,save",
                          active_scroll="xwheel_zoom", toolbar_location="above",
                          title="Response time (ms) per check")
        self.fig.yaxis.axis_label = "ms"
        self.fig.xaxis.axis_label = "UTC"
        self.sources: dict[str, ColumnDataSource] = {}
        self.renderers: dict[str, list] = {}
        items = []
        for i, name in enumerate(names):
            source = ColumnDataSource({"t": [], "ms": [], "status": [], "check": []})
            # Ten colours, then dashed lines: sixteen checks stay told apart.
            colour = Category10_10[i % 10]
            dash = "solid" if i < 10 else "dashed"
            line = self.fig.line("t", "ms", source=source, color=colour, line_width=2,
                                 line_dash=dash)
            dots = self.fig.scatter("t", "ms", source=source, color=colour, size=4)
            self.sources[name] = source
            self.renderers[name] = [line, dots]
            items.append(LegendItem(label=name, renderers=[line, dots]))
        self.fig.add_tools(HoverTool(tooltips=[("check", "@check"), ("time", "@t{%H:%M:%S}"),
                                               ("ms", "@ms{0.0}"), ("status", "@status")],
                                     formatters={"@t": "datetime"}))
        if items:
            # Beside the plot, never over the lines; a click hides a check's line.
            legend = Legend(items=items, click_policy="hide", label_text_font_size="9pt",
                            spacing=0, glyph_height=12, label_height=12, padding=4)
            self.fig.add_layout(legend, "right")

    def data(self, history: dict[str, list[HistoryPoint]]) -> dict[str, dict]:
        return {name: {"t": [p.checked_at * 1000 for p in points],
                       "ms": [math.nan if p.latency_ms is None else p.latency_ms
                              for p in points],
                       "status": [p.status for p in points],
                       "check": [name] * len(points)}
                for name, points in history.items() if name in self.sources}

    def show(self, history: dict[str, list[HistoryPoint]], chosen: str) -> None:
        """The first call sends every point; later ones stream only the new points (a
        day at 30 s is 2 880 per check: not sent again every refresh)."""
        fresh = {name: [p for p in points if p.checked_at > self._sent.get(name, -1.0)]
                 for name, points in history.items()}
        data = self.data(fresh)
        for name, points in fresh.items():
            if points:
                self._sent[name] = points[-1].checked_at

        def update() -> None:
            for name, columns in data.items():
                if columns["t"]:
                    self.sources[name].stream(columns, rollover=self.rollover)
            self.choose(chosen)

        update_figure(self.fig, update)

    def choose(self, chosen: str) -> None:
        for name, renderers in self.renderers.items():
            for r in renderers:
                r.visible = not chosen or name == chosen
