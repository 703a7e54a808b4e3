"""One QA trend plot: a metric over time, its threshold bands, points coloured by grade,
and the images without a value on a "no value" row (decision 0056).

Plain Bokeh (decision 0035's reasons). Up to ``RASTER_ABOVE`` images every point is a
glyph. Above it the bulk is one image computed on the server for the visible ranges
(``viewmodels.density``): each screen pixel takes the colour of the worst grade among
the images in it (a poor image is never hidden under good ones), and only a decimated
overlay (every grade worse than good, then an even sample) stays a glyph with hover. A
click anywhere is answered by the server from every image (``QAModel.nearest``), as on
the eta-V plot, so the raster's pixels open images too; a drawn box is likewise applied
to every image (``QAModel.in_box``).

The "no value" row is a band under the data in its own range (``rug``): missing values
are shown where they are in time, never drawn as zero and never dropped.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from bokeh.models import (
    BoxSelectTool,
    ColumnDataSource,
    DatetimeAxis,
    DatetimeTicker,
    DatetimeTickFormatter,
    GlyphRenderer,
    Grid,
    HoverTool,
    HStrip,
    LinearColorMapper,
    Range1d,
)
from bokeh.plotting import figure
from bokeh.transform import factor_cmap

from ..science.qa import (
    ASTROMETRY_RMS_ISSUE_ARCSEC,
    ASTROMETRY_RMS_WARNING_ARCSEC,
    CALIBRATOR_DRIFT_ALERT,
    DR_GOOD,
    DR_MARGINAL,
    FLAG_BAD,
    FLUX_RATIO_ISSUE,
    FLUX_RATIO_WARNING,
    GRADES,
    NOISE_WARNING_JY,
    UNKNOWN_GRADE,
)
from ..science.times import mjd_to_unix_ms
from ..viewmodels.density import MAX_SIDE
from .eta_v import _label_log_axis, log_ticks
from .image_table import GRADE_COLOURS

RASTER_ABOVE = 2000
#: Glyphs kept over the raster (hover and the eye's guide); every bad one first.
OVERLAY_MAX = 1500
PLOT_HEIGHT = 250
#: The bulk's first image, before the browser has reported the frame's size: the
#: frame's height, and a width between the frames of 1280- and 1920-pixel wide windows
#: (549-565 and 869-885 measured, two plots a row): both show it within
#: ``raster_size.RESAMPLE_FACTOR``, so neither draws it again at the first render.
FIRST_FRAME_PX = (700, 184)
RUG_HEIGHT = 0.12  # of the plot's height, under the data
TRANSPARENT = "rgba(0, 0, 0, 0)"
#: The raster's colour levels, least bad first: a pixel shows its worst grade.
GRADE_ORDER = (UNKNOWN_GRADE, *(g for g in GRADES if g != UNKNOWN_GRADE))
MISSING_COLOUR = "#8c8c8c"
FLAGGED_BAD = "#d81b9c"
#: The grades' colours as elsewhere, but "good" lighter than "excellent": on a plot of
#: thousands of points the two greens of the tables could not be told apart.
PLOT_COLOURS = {**GRADE_COLOURS, "good": "#8bc34a"}
WARN_FILL, BAD_FILL = "#f2a33a", "#d64545"

#: Threshold bands per metric (science.md, repositories/qa.py): (low, high, colour,
#: label) in shown units; None is open.
BANDS = {
    "noise": [(NOISE_WARNING_JY * 1e3, None, BAD_FILL, "noise > 10 mJy/beam: warning")],
    "dynamic_range": [(None, DR_MARGINAL, BAD_FILL, "DR ≤ 10: poor"),
                      (DR_MARGINAL, DR_GOOD, WARN_FILL, "DR ≤ 100: marginal, warning")],
    "flux_scale_ratio": [
        (None, 1 - FLUX_RATIO_ISSUE, BAD_FILL, "|1 − ratio| > 0.2: issue"),
        (1 + FLUX_RATIO_ISSUE, None, BAD_FILL, ""),
        (1 - FLUX_RATIO_ISSUE, 1 - FLUX_RATIO_WARNING, WARN_FILL, "|1 − ratio| > 0.1: warning"),
        (1 + FLUX_RATIO_WARNING, 1 + FLUX_RATIO_ISSUE, WARN_FILL, "")],
    "astrometry_offset": [
        (ASTROMETRY_RMS_ISSUE_ARCSEC, None, BAD_FILL, "offset > 5″: issue"),
        (ASTROMETRY_RMS_WARNING_ARCSEC, ASTROMETRY_RMS_ISSUE_ARCSEC, WARN_FILL,
         "offset > 2.5″: warning")],
    "calibrator": [(None, 1 - CALIBRATOR_DRIFT_ALERT, WARN_FILL, "off by > 20%"),
                   (1 + CALIBRATOR_DRIFT_ALERT, None, WARN_FILL, "")],
}


def hover(metric: str) -> list[tuple[str, str]]:
    return [("image", "#@image_id"), ("observed", WHEN), ("value", f"@v_{metric}{{0.000}}"),
            ("grade", "@grade (@grade_kind)"), ("flag", "@flag")]


def _y(values: np.ndarray, log: bool) -> np.ndarray:
    values = np.asarray(values, float)
    if not log:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.where(values > 0, values, np.nan))


def y_limits(values: np.ndarray, log: bool) -> tuple[float, float]:
    y = _y(values, log)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return (0.0, 1.0)
    lo, hi = float(np.nanpercentile(y, 0.5)), float(np.nanpercentile(y, 99.5))
    lo, hi = min(lo, float(y.min())), max(hi, float(y.max()))
    pad = max((hi - lo) * 0.08, 0.05 if log else abs(hi) * 0.05 or 0.5)
    # The rug band sits under the data: the range starts lower to make room for it.
    span = (hi + pad) - (lo - pad)
    return lo - pad - span * RUG_HEIGHT / (1 - RUG_HEIGHT), hi + pad


def overlay_rows(frame: pd.DataFrame, limit: int = OVERLAY_MAX) -> pd.DataFrame:
    """Every image graded worse than good (up to ``limit``), then an even sample."""
    if len(frame) <= limit:
        return frame
    bad = frame[frame["grade"].isin(("poor", "marginal"))]
    bad = bad.iloc[np.linspace(0, len(bad) - 1, min(len(bad), limit // 2)).astype(int)] \
        if len(bad) else bad
    rest = frame.drop(bad.index)
    room = max(limit - len(bad), 0)
    sample = rest.iloc[np.linspace(0, len(rest) - 1, min(room, len(rest))).astype(int)] \
        if room and len(rest) else rest.iloc[:0]
    return pd.concat([bad, sample]).sort_values("mjd", kind="stable")


#: The hover's time: ``YYYY-MM-DD HH:MM`` UTC, truncated (``format_mjd(seconds=False)``),
#: formatted in the browser from ``x``.
WHEN = "@x{%Y-%m-%d %H:%M}"
WHEN_FORMATTERS = {"@x": "datetime"}


def grade_fill() -> dict:
    """A point's fill by its grade, mapped in the browser from the grade column: no
    colour column per row travels with the data (decision 0081). A new mapper per
    figure (a Bokeh model belongs to one document)."""
    return factor_cmap("grade", palette=list(PLOT_COLOURS.values()),
                       factors=list(PLOT_COLOURS), nan_color=PLOT_COLOURS["unknown"])


def flag_ring() -> dict:
    """A ring round an image people flagged bad, whatever its measured grade."""
    return factor_cmap("flag", palette=[FLAGGED_BAD], factors=[FLAG_BAD],
                       nan_color=TRANSPARENT)


def glyph_data(frame: pd.DataFrame) -> dict:
    """The columns every plot's glyphs share: time, image, grade, flag. Per-row strings
    are few: the browser parses each (the colours and the hover's time are made in the
    browser). They are NumPy string arrays, not lists: Bokeh walks every item of a list
    in a model's values, looking for models, each time it collects a document's models
    (several times per load; decision 0091), and passes an array whole."""
    flags = frame["flag"] if "flag" in frame else pd.Series([None] * len(frame))
    return {"x": mjd_to_unix_ms(frame["mjd"].to_numpy(float)),
            "image_id": frame["image_id"].to_numpy(np.int32),
            "grade": frame["grade"].to_numpy(str),
            "grade_kind": frame["grade_kind"].to_numpy(str),
            "flag": np.array([f if isinstance(f, str) else "none" for f in flags], str)}


class SharedSources:
    """The two data sources every trend plot draws from (decision 0071), the glyphs
    over the bulk and the "no value" ticks, and the time axis's ticker and labels
    (decision 0090). Each plot adds the rows it shows and its own y column
    (``y_<metric>``, NaN where that plot shows no glyph: not drawn), so the time, image,
    grade and flag columns travel to the browser once, not per plot. ``finish`` fills
    both sources once every plot has been added."""

    def __init__(self, points: pd.DataFrame):
        self.points = points
        self.glyphs = ColumnDataSource({})
        self.ticks = ColumnDataSource({})
        # The time axis's ticker and labels, one for every plot of a load (their time
        # range is one too): a datetime ticker is 13 models (a sub-ticker per scale).
        self.time_ticker = DatetimeTicker()
        self.time_labels = DatetimeTickFormatter(days="%m-%d", months="%Y-%m",
                                                 hours="%m-%d %H:%M")
        self._glyph_rows: dict[str, tuple[pd.Index, np.ndarray, np.ndarray]] = {}
        self._tick_rows: dict[str, tuple[pd.Index, float]] = {}

    def add(self, metric: str, shown: pd.DataFrame, value_column: str, log: bool,
            ticks: pd.DataFrame, rug_y: float) -> None:
        values = shown[value_column].to_numpy(float)
        self._glyph_rows[metric] = (shown.index, _y(values, log), values)
        self._tick_rows[metric] = (ticks.index, rug_y)

    def finish(self) -> None:
        self.glyphs.data = self._columns({m: (i, y, v) for m, (i, y, v)
                                          in self._glyph_rows.items()}, "y_", "v_")
        self.ticks.data = self._columns({m: (i, np.full(len(i), y), None) for m, (i, y)
                                         in self._tick_rows.items()}, "rug_", None)

    def _columns(self, parts: dict, y_prefix: str, v_prefix: str | None) -> dict:
        union = pd.Index([])
        for index, _, _ in parts.values():
            union = union.union(index)
        frame = self.points.loc[union].sort_values("mjd", kind="stable")
        data = glyph_data(frame)
        for metric, (index, y, values) in parts.items():
            column = pd.Series(np.nan, index=frame.index)
            column.loc[index] = y
            data[f"{y_prefix}{metric}"] = column.to_numpy(float)
            if v_prefix is not None:
                column = pd.Series(np.nan, index=frame.index)
                column.loc[index] = values
                data[f"{v_prefix}{metric}"] = column.to_numpy(float)
        return data


def grade_raster(x: np.ndarray, y: np.ndarray, grade: pd.Series, x_range, y_range,
                 width: int, height: int) -> np.ndarray:
    """Per pixel: 0 empty, else 1 + the index in GRADE_ORDER of the worst grade there
    (each image spread to 3 x 3 pixels so a lone one is visible)."""
    width = int(min(max(width, 1), MAX_SIDE))
    height = int(min(max(height, 1), MAX_SIDE))
    (x0, x1), (y0, y1) = x_range, y_range
    out = np.zeros((height, width), np.uint8)
    if not (x1 > x0 and y1 > y0) or len(x) == 0:
        return out
    col = np.floor((x - x0) / (x1 - x0) * width)
    row = np.floor((y - y0) / (y1 - y0) * height)
    level = 1 + grade.map({g: i for i, g in enumerate(GRADE_ORDER)}).fillna(0).to_numpy(int)
    ok = np.isfinite(col) & np.isfinite(row)
    col, row, level = col[ok].astype(np.int64), row[ok].astype(np.int64), level[ok]
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            c, r = col + dx, row + dy
            inside = (c >= 0) & (c < width) & (r >= 0) & (r < height)
            np.maximum.at(out, (r[inside], c[inside]), level[inside].astype(np.uint8))
    return out


#: Fill opacity of the threshold bands and of the "no value" row.
BAND_ALPHA, MISSING_ALPHA = 0.13, 0.10


def band_strips(bands: list[tuple[float | None, float | None, str, float]], log: bool,
                y_limits: tuple[float, float]) -> GlyphRenderer:
    """Horizontal bands across the plot, (low, high, colour, opacity) in shown units
    (None is open), as one strip glyph under everything. An open side reaches far past
    the plot's y range (a box zoom only narrows it)."""
    lo, hi = y_limits
    far = 100 * (hi - lo)

    def y(value: float | None, default: float) -> float:
        return default if value is None else float(_y(np.array([value]), log)[0])

    source = ColumnDataSource({"y0": [y(b[0], lo - far) for b in bands],
                               "y1": [y(b[1], hi + far) for b in bands],
                               "colour": [b[2] for b in bands],
                               "alpha": [b[3] for b in bands]})
    return GlyphRenderer(data_source=source, level="underlay",
                         glyph=HStrip(y0="y0", y1="y1", fill_color="colour",
                                      fill_alpha="alpha", line_alpha=0))


class TrendPlot:
    """One metric's figure and what redraws it; the page owns the events."""

    def __init__(self, metric: str, title: str, unit: str, log: bool, x_range,
                 measured: pd.DataFrame, missing: pd.DataFrame, *, value_column: str,
                 shared: SharedSources, expected: pd.DataFrame | None = None):
        self.metric, self.log, self.value_column = metric, log, value_column
        self.measured = measured
        self.frame_px = FIRST_FRAME_PX
        self.image_px = (0, 0)  # the shown bulk's size (none yet)
        ylo, yhi = y_limits(measured[value_column].to_numpy(float) if len(measured)
                            else np.array([]), log)
        self.rug_y = ylo + (yhi - ylo) * RUG_HEIGHT * 0.45
        fig = figure(title=f"{title} ({unit})" + (", log scale" if log else ""),
                     x_range=x_range, y_range=Range1d(ylo, yhi, reset_start=ylo,
                                                      reset_end=yhi),
                     x_axis_type=None, height=PLOT_HEIGHT, sizing_mode="stretch_width",
                     min_width=420, tools="xpan,xwheel_zoom,box_zoom,reset",
                     active_scroll="xwheel_zoom", toolbar_location="right",
                     output_backend="canvas", tags=[f"dsa-qa-plot-{metric}"])
        fig.add_layout(DatetimeAxis(ticker=shared.time_ticker,
                                    formatter=shared.time_labels), "below")
        fig.add_layout(Grid(dimension=0, ticker=shared.time_ticker))
        fig.toolbar.logo = None
        fig.title.text_font_size = "12px"
        if log:  # drawn in log10, labelled in linear values (as the eta-V plot)
            _label_log_axis(fig.yaxis[0], log_ticks(ylo, yhi))
        # The threshold bands and, under the data, the "no value" row (the first thing
        # a reader of gaps sees): one strip glyph, not an annotation each.
        fig.renderers.append(band_strips(
            [(low, high, colour, BAND_ALPHA)
             for low, high, colour, _label in BANDS.get(metric, [])]
            + [(None, ylo + (yhi - ylo) * RUG_HEIGHT * 0.9, MISSING_COLOUR,
                MISSING_ALPHA)],
            log, (ylo, yhi)))
        self.bulk_source = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [],
                                             "dh": []})
        self.rastered = len(measured) > RASTER_ABOVE
        if self.rastered:
            palette = [PLOT_COLOURS.get(g, PLOT_COLOURS["unknown"]) for g in GRADE_ORDER]
            mapper = LinearColorMapper(palette=palette, low=0.5, high=len(palette) + 0.5,
                                       low_color=TRANSPARENT, nan_color=TRANSPARENT)
            fig.image(image="image", x="x", y="y", dw="dw", dh="dh", source=self.bulk_source,
                      color_mapper=mapper, global_alpha=0.85)
        shown = overlay_rows(measured) if self.rastered else measured
        shared.add(metric, shown, value_column, log, self._ticks(missing), self.rug_y)
        points = fig.scatter("x", f"y_{metric}", source=shared.glyphs, size=5,
                             fill_color=grade_fill(), line_color=flag_ring(), line_width=1.2,
                             alpha=0.9, legend_field="grade")
        if expected is not None and len(expected):
            fig.line(mjd_to_unix_ms(expected["mjd"].to_numpy(float)),
                     _y(expected["expected_noise"].to_numpy(float), log),
                     line_color="#1f77b4", line_dash="dashed", line_width=1.5,
                     legend_label="expected noise")
        # The legend goes above the frame: inside it, a box drawn from a corner started
        # on the legend's text and selected that instead.
        legend = fig.legend[0]
        fig.center.remove(legend)
        legend.update(orientation="horizontal", label_text_font_size="10px", padding=0,
                      spacing=6, margin=0, location="top_left", border_line_alpha=0,
                      background_fill_alpha=0)
        fig.add_layout(legend, "above")
        rug = fig.scatter("x", f"rug_{metric}", source=shared.ticks, marker="dash", size=9,
                          line_color=MISSING_COLOUR, angle=math.pi / 2)
        fig.add_tools(HoverTool(renderers=[points], tooltips=hover(metric),
                                formatters=WHEN_FORMATTERS))
        fig.add_tools(HoverTool(renderers=[rug], tooltips=[("image", "#@image_id"),
                                                           ("observed", WHEN),
                                                           ("value", "not measured")],
                                formatters=WHEN_FORMATTERS))
        # The points only: a box is applied to every image by the server (_boxed); the
        # strips and the raster are not things to select.
        select = BoxSelectTool(dimensions="both", persistent=True, renderers=[points])
        fig.add_tools(select)
        fig.toolbar.active_drag = select
        self.figure = fig

    @staticmethod
    def _ticks(missing: pd.DataFrame) -> pd.DataFrame:
        """One tick per image without a value, at most one per screen column (more
        could not be told apart)."""
        if len(missing) > 4 * MAX_SIDE:
            cols = np.floor(np.linspace(0, 1, len(missing)) * 2 * MAX_SIDE)
            _, first = np.unique(cols, return_index=True)
            missing = missing.iloc[first]
        return missing

    def raster(self) -> None:
        """The bulk's image for the visible ranges at the frame's size."""
        if not self.rastered:
            return
        fig = self.figure
        x0, x1 = fig.x_range.start, fig.x_range.end
        y0, y1 = fig.y_range.start, fig.y_range.end
        if None in (x0, x1, y0, y1) or not (x1 > x0 and y1 > y0):
            return
        width, height = self.frame_px
        m = self.measured
        x = mjd_to_unix_ms(m["mjd"].to_numpy(float))
        y = _y(m[self.value_column].to_numpy(float), self.log)
        image = grade_raster(x, y, m["grade"], (x0, x1), (y0, y1), width, height)
        self.image_px = (image.shape[1], image.shape[0])
        self.bulk_source.data = {"image": [image], "x": [x0], "y": [y0], "dw": [x1 - x0],
                                 "dh": [y1 - y0]}

