"""The interactive image of /images/{id}: zoom and pan over a server-side rendering.

A HoloViews DynamicMap over ``RangeXY`` asks ``ImageRaster`` for the visible region
reduced to ~800 px (NaN-aware max pooling, so point sources survive) and colour-mapped
with the chosen stretch and colormap: a 6300 x 6300 image never leaves the server, only
~800 x 800 RGBA per view. The plot's coordinates are FITS pixels, 0-based, north up (row
0 at the bottom), but its axes are labelled in RA and Dec: a grid of lines of constant RA
and Dec traced through the image's WCS for the visible region, with the axis ticks where
the lines cross the bottom and left edges (``viewmodels.wcs_grid``; decision 0030). RA,
Dec, pixel x/y and the pixel's value under the cursor come from a ``PointerXY`` stream
through ``WCS.pixel_to_world`` (and pixel x/y from the hover tool); the restoring beam is
drawn in the lower-left corner of the view; the catalogue sources measured in the image
are overlaid, with id, flux, error and SNR on hover. The colour scale's limits (mJy/beam)
are written under the plot.
"""

from __future__ import annotations

import html

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401 - registers the Bokeh backend
import pandas as pd
import panel as pn
import param
from bokeh.models import FixedTicker, HoverTool
from panel.viewable import Viewer

from ..fits.scale_text import limits_text
from ..fits.stretch import DEFAULT_STRETCH
from ..science.coordinates import format_dec, format_ra
from ..viewmodels.image_detail import DetailData, ImageDetailModel
from ..viewmodels.image_raster import ImageRaster
from ..viewmodels.wcs_grid import SkyGrid, sky_grid

hv.Store.set_current_backend("bokeh")

PLOT_PX = 720
SOURCE_COLOUR = "#39ff14"
BEAM_COLOUR = "#00e5ff"
GRID_COLOUR = "#d0d8e8"
PIXEL_TOOLTIPS = [("pixel x, y", "$x{0.0}, $y{0.0}")]
SOURCE_TOOLTIPS = [("source", "@source_id"), ("flux", "@flux_mjy{0.00} mJy"),
                   ("error", "@err_mjy{0.000} mJy"), ("SNR", "@snr{0.0}"),
                   ("RA, Dec", "@ra_deg{0.0000}°, @dec_deg{+0.0000}°"),
                   ("flux column", "@flux_column")]


def _source_frame(raster: ImageRaster, sources: pd.DataFrame) -> pd.DataFrame:
    frame = raster.source_positions(sources)
    out = pd.DataFrame({
        "x": frame["x"].astype(float), "y": frame["y"].astype(float),
        "source_id": frame["source_id"].astype(str),
        "flux_mjy": frame["flux_jy"].astype(float) * 1e3,
        "err_mjy": frame["flux_err_jy"].astype(float) * 1e3,
        "snr": frame["snr"].astype(float),
        "ra_deg": frame["ra_deg"].astype(float), "dec_deg": frame["dec_deg"].astype(float),
        "flux_column": frame["flux_column"].fillna("").astype(str)})
    return out


class ImageViewer(Viewer):
    """Needs ``data.raster``; the detail page shows a message instead when it is None."""

    model = param.ClassSelector(class_=ImageDetailModel)
    data = param.ClassSelector(class_=DetailData)

    def __init__(self, **params):
        super().__init__(**params)
        self.raster: ImageRaster = self.data.raster
        m = self.model
        self.readout = pn.pane.HTML(self._readout_text(None), sizing_mode="stretch_width",
                                    margin=(4, 8), min_height=44)
        self.readout.styles = {"border-left": "3px solid #f2a541", "padding-left": "6px"}
        self.scale_note = pn.pane.HTML("", margin=(0, 8),
                                       styles={"font-size": "0.8em", "opacity": "0.75"})
        self.colour_scale = pn.pane.HTML("", margin=(0, 8), css_classes=["dsa-colour-scale"])
        self._grid_key: tuple | None = None
        self._grid = SkyGrid()
        self.cutout = pn.pane.HTML("", margin=(0, 8),
                                   stylesheets=["a { color: #2f81f7; font-weight: 600; }"])
        controls = pn.Row(
            pn.widgets.Select.from_param(m.param.stretch, label="Stretch", width=150),
            pn.widgets.Select.from_param(m.param.cmap, label="Colormap", width=130),
            pn.widgets.Checkbox.from_param(m.param.show_sources, label="Catalogue sources",
                                           margin=(30, 10, 0, 10)),
            margin=0)
        self._sources = _source_frame(self.raster, self.data.sources)
        # A new stretch or colormap re-renders the whole view on the server (~0.5 s):
        # the plot shows its loading indicator from the change until the new image is
        # sent. Param calls watchers in the order they were added: this one before the
        # DynamicMap's stream (made in _overlay), the one clearing it after.
        self.plot = pn.pane.HoloViews(None, margin=(0, 8), linked_axes=False)
        m.param.watch(self._restyling, ["stretch", "cmap"])
        self.plot.object = self._overlay()
        m.param.watch(self._restyled, ["stretch", "cmap"])
        self._layout = pn.Column(controls, self.plot, self.readout, self.colour_scale,
                                 self.scale_note, self.cutout, margin=0,
                                 width=PLOT_PX + 110)

    # --------------------------------------------------------------- elements
    def _overlay(self):
        raster = self.raster
        left, bottom, right, top = raster.full_bounds
        ranges = hv.streams.RangeXY()
        style = hv.streams.Params(self.model, ["stretch", "cmap"])
        image = hv.DynamicMap(self._image, streams=[ranges, style])
        beam = hv.DynamicMap(self._beam, streams=[hv.streams.RangeXY(source=image)])
        grid = hv.DynamicMap(self._grid_lines, streams=[hv.streams.RangeXY(source=image)])
        points = hv.DynamicMap(self._points,
                               streams=[hv.streams.Params(self.model, ["show_sources"])])
        pointer = hv.streams.PointerXY(source=image)
        pointer.add_subscriber(self._on_pointer)
        width = PLOT_PX if raster.nx >= raster.ny else int(PLOT_PX * raster.nx / raster.ny)
        height = int(width * raster.ny / raster.nx)
        labels = ("x (pixel)", "y (pixel)")
        if raster.plane.has_celestial:
            frame = self._sky_grid(None, None).frame
            labels = (f"RA ({frame})", f"Dec ({frame})")
        image = image.opts(
            hv.opts.RGB(frame_width=width, frame_height=height, xlim=(left, right),
                        ylim=(bottom, top), xlabel=labels[0], ylabel=labels[1],
                        default_tools=["pan", "wheel_zoom", "box_zoom", "reset", "save"],
                        tools=[HoverTool(tooltips=PIXEL_TOOLTIPS)],
                        active_tools=["pan", "wheel_zoom"], bgcolor="#0b0b12",
                        data_aspect=1, toolbar="above", hooks=[self._sky_ticks]))
        return (image * grid * points * beam).opts(hv.opts.Overlay(framewise=False))

    def _image(self, x_range=None, y_range=None, stretch=DEFAULT_STRETCH, cmap="inferno"):
        view = self.raster.render(x_range, y_range, stretch, cmap)
        self._note_view(x_range, y_range, view.factor)
        self._sky_grid(x_range, y_range)  # the hook below labels the axes with it
        self.colour_scale.object = (
            f"<div style='font-size:0.85em'>Colour scale <b>{html.escape(stretch)}</b>: "
            f"{html.escape(limits_text(self.raster.scale_record(stretch)))}</div>")
        return hv.RGB(view.rgba, bounds=view.bounds, kdims=["x", "y"])

    def _restyling(self, *_events) -> None:
        self.plot.loading = True

    def _restyled(self, *_events) -> None:
        self.plot.loading = False

    # ------------------------------------------------------------------ sky grid
    def _sky_grid(self, x_range, y_range) -> SkyGrid:
        """The grid of the view (the last one is kept: the image, its grid lines and
        the axes' hook all ask for the same view)."""
        left, bottom, right, top = self.raster.full_bounds
        key = (tuple(x_range or (left, right)), tuple(y_range or (bottom, top)))
        if key != self._grid_key:
            self._grid = sky_grid(self.raster.plane.wcs, *key)
            self._grid_key = key
        return self._grid

    def _grid_lines(self, x_range=None, y_range=None):
        grid = self._sky_grid(x_range, y_range)
        paths = [(line.x, line.y) for line in (*grid.ra_lines, *grid.dec_lines)]
        return hv.Path(paths, kdims=["x", "y"]).opts(
            color=GRID_COLOUR, line_width=0.8, alpha=0.45, line_dash="dashed")

    def _sky_ticks(self, plot, _element) -> None:
        """Bokeh hook: ticks where the grid's lines cross the bottom and left edges,
        labelled in RA and Dec (pixel positions keep the ticks on their lines while the
        view is dragged, until the next rendering places them again)."""
        grid = self._grid
        if grid.empty:
            return
        for axis, ticks in ((plot.state.xaxis[0], grid.x_ticks),
                            (plot.state.yaxis[0], grid.y_ticks)):
            positions = sorted(ticks)
            if isinstance(axis.ticker, FixedTicker):
                axis.ticker.ticks = positions
            else:
                axis.ticker = FixedTicker(ticks=positions)
            axis.major_label_overrides = {p: ticks[p] for p in positions}

    def _points(self, show_sources=True):
        frame = self._sources if show_sources else self._sources.iloc[0:0]
        hover = HoverTool(tooltips=SOURCE_TOOLTIPS)
        return hv.Points(frame, kdims=["x", "y"],
                         vdims=["source_id", "flux_mjy", "err_mjy", "snr", "ra_deg",
                                "dec_deg", "flux_column"]).opts(
            marker="circle", size=11, fill_alpha=0, line_color=SOURCE_COLOUR,
            line_width=1.5, tools=[hover], nonselection_alpha=1.0)

    def _beam(self, x_range=None, y_range=None):
        beam = self.data.metadata["beam"].value if self.data.metadata.get("beam") else None
        pixels = self.raster.beam_pixels(*beam) if beam and beam[0] else None
        x0, _, x1, _ = self.raster.full_bounds
        (lx, hx) = x_range or (x0, x1)
        _, y0, _, y1 = self.raster.full_bounds
        (ly, hy) = y_range or (y0, y1)
        if pixels is None:
            return hv.Overlay([hv.Ellipse(0, 0, 0).opts(alpha=0),
                               hv.Text(lx, ly, "").opts(alpha=0)])
        major, minor, angle = pixels
        span = max(hx - lx, hy - ly)
        margin = max(major * 0.8, span * 0.04)
        cx, cy = lx + margin, ly + margin
        ellipse = hv.Ellipse(cx, cy, (major, minor), orientation=angle).opts(
            color=BEAM_COLOUR, line_width=2)
        label = hv.Text(cx + margin * 0.9, cy, "beam", halign="left", fontsize=9).opts(
            color=BEAM_COLOUR)
        return hv.Overlay([ellipse, label])

    # ----------------------------------------------------------------- pointer
    def _on_pointer(self, x=None, y=None) -> None:
        if x is None or y is None:
            return
        self.readout.object = self._readout_text(self.raster.readout(float(x), float(y)))

    def _readout_text(self, read) -> str:
        style = ("font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',"
                 "monospace;font-size:0.9em;line-height:1.5")
        if read is None:
            return (f"<div style=\"{style};opacity:0.75\">Move the cursor over the image "
                    "for RA, Dec and the pixel value. Scroll to zoom, drag to pan.</div>")
        unit = (self.data.bunit or "").strip()
        pos = f"x {read.x:8.1f}  y {read.y:8.1f}"
        if read.ra_deg is not None:
            sky = (f"RA {format_ra(read.ra_deg)}  Dec {format_dec(read.dec_deg)}  "
                   f"({read.ra_deg:.5f}°, {read.dec_deg:+.5f}°)")
        else:
            sky = "no celestial WCS"
        if not read.inside:
            value = "outside the image"
        elif read.value is None:
            value = "blank (NaN)"
        else:
            value = (f"{read.value * 1e3:.4g} mJy/beam" if unit.lower() in ("", "jy/beam")
                     else f"{read.value:.5g} {unit}")
        return (f"<div style=\"{style}\">{html.escape(sky)}<br>"
                f"{html.escape(pos)}  ·  value {html.escape(value)}</div>")

    def _note_view(self, x_range, y_range, factor: int) -> None:
        if factor > 1:
            text = (f"Shown at 1:{factor}: each screen pixel is the maximum of "
                    f"{factor}×{factor} image pixels (sources kept). Zoom in for full "
                    "resolution.")
        else:
            text = "Shown at full resolution (1:1 or closer)."
        self.scale_note.object = text
        centre = self.raster.centre_and_size(x_range, y_range)
        if centre is None:
            self.cutout.object = ""
            return
        ra, dec, size = centre
        capped = min(size, 3600.0)
        png = self.model.cutout_url(ra, dec, capped, "png")
        fits = self.model.cutout_url(ra, dec, capped, "fits")
        extent = f"{capped / 60:.1f}′" + (" (1° max)" if size > 3600 else "")
        self.cutout.object = (
            f"Cutout of this view ({extent} at {format_ra(ra)} {format_dec(dec)}): "
            f'<a href="{html.escape(png)}" target="_blank">PNG</a> · '
            f'<a href="{html.escape(fits)}" download>FITS</a>')

    def __panel__(self):
        return self._layout

