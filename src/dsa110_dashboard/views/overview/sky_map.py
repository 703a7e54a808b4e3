"""Sky coverage: centres of the newest images, RA reversed, coloured by age."""

from __future__ import annotations

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401 - registers the backend for .opts()
import pandas as pd

from ...viewmodels.overview import mjd_to_datetime
from .base import PlotCard


def sky_plot(centres: pd.DataFrame) -> hv.Points:
    newest = centres["mjd"].max() if len(centres) else 0.0
    frame = pd.DataFrame({
        "ra": centres["ra"].astype(float), "dec": centres["dec"].astype(float),
        "age_days": (newest - centres["mjd"].astype(float)).round(2),
        "id": centres["id"].astype(int),
    }).sort_values("age_days", ascending=False)  # the newest drawn last, on top
    return hv.Points(frame, kdims=["ra", "dec"], vdims=["age_days", "id"]).opts(
        color="age_days", cmap="rainbow4_r", colorbar=True, size=6, alpha=0.8,
        clabel="days before the newest image", tools=["hover"], invert_xaxis=True,
        xlim=(0, 360), ylim=(-35, 90), xlabel="RA (deg)", ylabel="Dec (deg)",
        responsive=True, height=340, toolbar="right", active_tools=[],
        default_tools=["pan", "wheel_zoom", "reset"], show_grid=True,
        fontsize={"labels": "11pt", "xticks": "10pt", "yticks": "10pt"})


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
