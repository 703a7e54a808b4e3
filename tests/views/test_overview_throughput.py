"""The images-per-hour plot's title fits its card: a title wider than the plot is cut
(it was, on a 1920 px wall, for a database with no image in the last 24 hours)."""

from __future__ import annotations

import subprocess

from PIL import ImageFont

from dsa110_dashboard.repositories.stats import StatsRepository, TTLCache
from dsa110_dashboard.viewmodels.overview import OverviewModel
from dsa110_dashboard.views.overview.throughput import ThroughputCard
from factories import insert

NOW = 1_760_716_800.0
#: The plot area of the card at its smallest (flex basis 560 px, less the y axis).
PLOT_WIDTH_PX = 480


def title_width_px(text: str) -> float:
    """``text`` in the font the browser draws Bokeh's bold 12 pt title with."""
    path = subprocess.run(["fc-match", "-f", "%{file}", "helvetica:bold"],
                          capture_output=True, text=True, check=True).stdout
    return ImageFont.truetype(path, 16).getlength(text)


def test_the_title_of_an_old_database_s_window_fits_the_plot(db):
    with db.transaction() as conn:
        old = NOW - 200 * 86400
        ms = insert(conn, "ms_index", path="/ms/a.ms", mid_mjd=old / 86400 + 40587.0)
        insert(conn, "images", path="/img/a.fits", ms_path=ms["path"], created_at=old)
    model = OverviewModel(db, stats=StatsRepository(db, cache=TTLCache()),
                          clock=lambda: NOW)
    model.refresh()
    assert not model.snapshot.window_is_live
    plot, note = ThroughputCard(model=model).draw(model.snapshot)
    title = plot.title.text
    assert "latest image" in title and "No images in the real last 24 hours" in note
    assert title_width_px(title) <= PLOT_WIDTH_PX
