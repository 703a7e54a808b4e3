"""Sky coverage: centres of the newest images, RA reversed, coloured by age."""

from __future__ import annotations

import pandas as pd
from bokeh.models import ColorBar, ColumnDataSource, HoverTool, LinearColorMapper, Range1d
from bokeh.plotting import figure

from ...viewmodels.overview import mjd_to_datetime
from .base import PlotCard


#: Newest red, oldest dark blue: HoloViews' "rainbow4_r" (colorcet), sampled at 18.
AGE_PALETTE = ("#d6050d", "#f3240d", "#fe540e", "#fc8013", "#fba314", "#fbc20e",
               "#f4dc03", "#ccd701", "#9fc803", "#6fb905", "#39a81d", "#279073",
               "#1470c0", "#1745ef", "#0f2cda", "#0a14bd", "#040099", "#03006c")


def sky_plot(centres: pd.DataFrame):
    """A plain Bokeh figure (decision 0036): RA reversed, coloured by age."""
    newest = centres["mjd"].max() if len(centres) else 0.0
    frame = pd.DataFrame({
        "ra": centres["ra"].astype(float), "dec": centres["dec"].astype(float),
        "age_days": (newest - centres["mjd"].astype(float)).round(2),
        "id": centres["id"].astype(int),
    }).sort_values("age_days", ascending=False)  # the newest drawn last, on top
    oldest = float(frame["age_days"].max()) if len(frame) else 1.0
    mapper = LinearColorMapper(palette=AGE_PALETTE, low=0.0, high=max(oldest, 1e-3))
    fig = figure(sizing_mode="stretch_width", height=340, x_range=Range1d(360, 0),
                 y_range=Range1d(-35, 90), x_axis_label="RA (deg)",
                 y_axis_label="Dec (deg)", tools="pan,wheel_zoom,reset",
                 active_drag=None, active_scroll=None, toolbar_location="right",
                 output_backend="canvas")
    fig.toolbar.logo = None
    points = fig.scatter("ra", "dec", source=ColumnDataSource(frame), size=6, alpha=0.8,
                         color={"field": "age_days", "transform": mapper},
                         line_color=None)
    fig.add_tools(HoverTool(renderers=[points], tooltips=[
        ("RA, Dec", "@ra{0.00}, @dec{+0.00}"), ("age (days)", "@age_days"),
        ("image", "@id")]))
    fig.add_layout(ColorBar(color_mapper=mapper, title="days before the newest image",
                            title_text_font_size="10pt"), "right")
    for axis in (*fig.xaxis, *fig.yaxis):
        axis.axis_label_text_font_size = "11pt"
        axis.major_label_text_font_size = "10pt"
    return fig


class SkyMapCard(PlotCard):
    title = "Sky coverage"
    flex = "2 1 640px"
    plot_height = 350

    def data_key(self, snapshot) -> object:
        centres = snapshot.centres
        return len(centres), int(centres["id"].iloc[0]) if len(centres) else None

    def draw(self, snapshot) -> tuple[object, str]:
        centres = snapshot.centres
        if not len(centres):
            return sky_plot(centres), "No image has a recorded centre yet."
        first = mjd_to_datetime(float(centres["mjd"].min())).strftime("%Y-%m-%d")
        last = mjd_to_datetime(float(centres["mjd"].max())).strftime("%Y-%m-%d")
        return sky_plot(centres), (f"Centres of the newest {len(centres):,} images with a "
                                   f"recorded centre ({first} to {last}); RA increases to "
                                   "the left.")
