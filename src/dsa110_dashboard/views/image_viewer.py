"""The interactive image of /images/{id}: zoom and pan over a server-side rendering.

A HoloViews DynamicMap over ``RangeXY`` asks ``ImageRaster`` for the visible region
reduced to ~800 px (NaN-aware max pooling, so point sources survive) and colour-mapped
with the chosen stretch and colormap: a 6300 x 6300 image never leaves the server, only
~800 x 800 RGBA per view. Axes are FITS pixel coordinates, 0-based, north up (row 0 at
the bottom). RA, Dec and the pixel's value under the cursor come from a ``PointerXY``
stream through ``WCS.pixel_to_world``; the restoring beam is drawn in the lower-left
corner of the view; the catalogue sources measured in the image are overlaid, with id,
flux, error and SNR on hover.
"""

from __future__ import annotations

import html

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401 - registers the Bokeh backend
import pandas as pd
import panel as pn
import param
from bokeh.models import HoverTool
from panel.viewable import Viewer

from ..viewmodels.image_detail import DetailData, ImageDetailModel
from ..science.coordinates import format_dec, format_ra
from ..viewmodels.image_raster import ImageRaster

hv.Store.set_current_backend("bokeh")

PLOT_PX = 720
SOURCE_COLOUR = "#39ff14"
BEAM_COLOUR = "#00e5ff"
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
        self.cutout = pn.pane.HTML("", margin=(0, 8),
                                   stylesheets=["a { color: #2f81f7; font-weight: 600; }"])
        controls = pn.Row(
            pn.widgets.Select.from_param(m.param.stretch, label="Stretch", width=150),
            pn.widgets.Select.from_param(m.param.cmap, label="Colormap", width=130),
            pn.widgets.Checkbox.from_param(m.param.show_sources, label="Catalogue sources",
                                           margin=(30, 10, 0, 10)),
            margin=0)
        self._sources = _source_frame(self.raster, self.data.sources)
        self.plot = pn.pane.HoloViews(self._overlay(), margin=(0, 8), linked_axes=False)
        self._layout = pn.Column(controls, self.plot, self.readout, self.scale_note,
                                 self.cutout, margin=0, width=PLOT_PX + 110)

    # --------------------------------------------------------------- elements
    def _overlay(self):
        raster = self.raster
        left, bottom, right, top = raster.full_bounds
        ranges = hv.streams.RangeXY()
        style = hv.streams.Params(self.model, ["stretch", "cmap"])
        image = hv.DynamicMap(self._image, streams=[ranges, style])
        beam = hv.DynamicMap(self._beam, streams=[hv.streams.RangeXY(source=image)])
        points = hv.DynamicMap(self._points,
                               streams=[hv.streams.Params(self.model, ["show_sources"])])
        pointer = hv.streams.PointerXY(source=image)
        pointer.add_subscriber(self._on_pointer)
        width = PLOT_PX if raster.nx >= raster.ny else int(PLOT_PX * raster.nx / raster.ny)
        height = int(width * raster.ny / raster.nx)
        image = image.opts(
            hv.opts.RGB(frame_width=width, frame_height=height, xlim=(left, right),
                        ylim=(bottom, top), xlabel="x (pixel)", ylabel="y (pixel)",
                        default_tools=["pan", "wheel_zoom", "box_zoom", "reset", "save"],
                        active_tools=["pan", "wheel_zoom"], bgcolor="#0b0b12",
                        data_aspect=1, toolbar="above"))
        return (image * points * beam).opts(hv.opts.Overlay(framewise=False))

    def _image(self, x_range=None, y_range=None, stretch="zscale_asinh", cmap="inferno"):
        view = self.raster.render(x_range, y_range, stretch, cmap)
        self._note_view(x_range, y_range, view.factor)
        return hv.RGB(view.rgba, bounds=view.bounds, kdims=["x", "y"])

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

