"""/images/{image_id}: the viewer, summary, QA, provenance, FITS header and sources.

The page opens with a loading placeholder; everything is read in a worker thread
(``ImageDetailModel.fetch``) and shown in one batch, through ``NewestOnly`` like every
view's loads. An unknown or malformed id shows a message; a missing or
corrupt file shows the database row and provenance with a message in place of the
viewer. Stretch, colormap and the sources overlay live in the URL (dashboards/image_detail.py,
``views.urlstate``).
"""

from __future__ import annotations

import html

import panel as pn
import param
from bokeh.models.widgets.tables import NumberFormatter
from panel.viewable import Viewer

from ..science.times import format_unix
from ..viewmodels.image_detail import (
    DetailData,
    DetailFailure,
    ImageDetailModel,
    catalogue_count_note,
)
from ..viewmodels.image_flags import FlagsState, ImageFlagsModel
from .background import NewestOnly
from .image_sections import (
    SECTION_CSS,
    header_html,
    provenance_html,
    qa_html,
    summary_html,
)
from .image_flags import ImageFlagsView
from .image_table import flag_badge, grade_badge
from .shell import table_theme
from .source_detail import LINK_CSS as SOURCE_LINK_CSS
from .sources import link

#: photometry columns as the catalogue table names them (peak fluxes are mJy/beam).
FLUX_COLUMN_NAMES = {"normalized_flux_jy": "normalised", "flux_jy": "raw",
                     "peak_jyb": "peak (mJy/beam)"}
LINK_CSS = """
.dsa-links { display: flex; gap: 14px; flex-wrap: wrap; align-items: center; }
.dsa-links a { text-decoration: none; color: #2f81f7; font-weight: 600; }
.dsa-links .dsa-disabled { opacity: 0.45; }
"""

#: Links in the catalogue's dark-theme table: the source page's blue (SOURCE_LINK_CSS)
#: is made for the page background, and on the midnight theme's #666 rows it is 1.5:1
#: (unreadable); these are 5.8:1 on its #444 rows and 3.4:1 on #666 (the rows' own white
#: text is 5.7:1).
DARK_TABLE_LINK_CSS = ["a { color: #9ecbff; } a:visited { color: #d0b3ff; }"]


def table_link_css() -> list[str]:
    """Stylesheets for source links in a table of this session's theme."""
    return SOURCE_LINK_CSS + (DARK_TABLE_LINK_CSS if table_theme() == "midnight" else [])


def _card(title: str, *objects, **kw) -> pn.Card:
    return pn.Card(*objects, title=title, collapsible=True, sizing_mode="stretch_width",
                   margin=(6, 6), **kw)


class ImageDetailView(Viewer):
    model = param.ClassSelector(class_=ImageDetailModel)
    raw_id = param.String(default="")
    #: People's flags on the image (None: the card is left out).
    flags = param.ClassSelector(class_=ImageFlagsModel, default=None, allow_None=True)

    def __init__(self, **params):
        super().__init__(**params)
        self._layout = pn.Column(
            pn.pane.HTML(f"Loading image {html.escape(self.raw_id)}…", margin=(12, 8)),
            sizing_mode="stretch_width", min_height=300, loading=True)
        self._links = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 8, 6, 8),
                                   stylesheets=[LINK_CSS])
        # The layout starts with its spinner on; the load switches it off (also when the
        # fetch fails, and the failure goes to Panel's handler).
        self._loads = NewestOnly(self.fetch, self.show, busy=[self._layout])

    # ---------------------------------------------------------------- loading
    def fetch(self) -> tuple[DetailData | DetailFailure, FlagsState | None]:
        """Blocking, no model changes: the image (file, QA, provenance) and its flags."""
        result = self.model.fetch(self.raw_id)
        flags_state = None
        if self.flags is not None and isinstance(result, DetailData):
            self.flags.image_id = result.image.id
            flags_state = self.flags.fetch()
        return result, flags_state

    def show(self, fetched: tuple[DetailData | DetailFailure, FlagsState | None]) -> None:
        """Model changes only: the page's content, in one batch (``NewestOnly``)."""
        result, flags_state = fetched
        self.model.apply(result)
        if flags_state is not None:
            self.flags.apply(flags_state)
        self._layout[:] = self._content(result)
        if self.model.data is not None:
            self._links.object = self._links_html(self.model.data)

    def load(self) -> None:
        """Blocking: fetch and show (what the page does on a worker thread)."""
        self._loads.run()

    # ---------------------------------------------------------------- content
    def _content(self, result: DetailData | DetailFailure) -> list:
        if isinstance(result, DetailFailure):
            return [pn.pane.Alert(
                f"**{html.escape(result.title)}.** {html.escape(result.message)} "
                "[Back to all images](/images)", alert_type="warning",
                sizing_mode="stretch_width", margin=(12, 8))]
        data = result
        title = pn.pane.HTML(self._title_html(data), sizing_mode="stretch_width",
                             margin=(0, 8), css_classes=["dsa-image-title"])
        if self.flags is not None:
            # A new flag shows in the title at once (bad: a red badge beside the grade).
            self.flags.param.watch(lambda _e: setattr(title, "object", self._title_html(data)),
                                   ["current"])
        self._links.object = self._links_html(data)
        if data.raster is not None:
            from .image_viewer import ImageViewer  # HoloViews only when there is an image

            viewer = ImageViewer(model=self.model, data=data)
        else:
            viewer = pn.pane.Alert(
                f"**The image file cannot be shown.** {html.escape(data.file_error or '')}"
                "<br>The database row, QA and provenance are below.", alert_type="danger",
                width=830, margin=(8, 8))
        css = [SECTION_CSS]
        summary = _card("Summary", pn.pane.HTML(summary_html(data), stylesheets=css,
                                                sizing_mode="stretch_width"))
        quality = _card("Quality", pn.pane.HTML(qa_html(data), stylesheets=css,
                                                sizing_mode="stretch_width"))
        flags = (_card("People's flags", ImageFlagsView(model=self.flags),
                       css_classes=["dsa-flags-card"])
                 if self.flags is not None else None)
        provenance = _card("Provenance", pn.pane.HTML(provenance_html(data), stylesheets=css,
                                                      sizing_mode="stretch_width"))
        header = _card("FITS header", pn.pane.HTML(header_html(data), stylesheets=css,
                                                   sizing_mode="stretch_width"))
        count_note = html.escape(catalogue_count_note(data.sources, data.qa_rows))
        sources = _card(f"Catalogue sources measured in this image ({len(data.sources):,})",
                        pn.pane.HTML(f"<div class='dsa-note'>{count_note}</div>",
                                     stylesheets=css, sizing_mode="stretch_width",
                                     css_classes=["dsa-catalogue-note"]),
                        self._sources_table(data))
        # The catalogue table gets the page's whole width: eight columns do not fit
        # beside the header at 1280 px.
        return [title, self._links,
                pn.Row(pn.Column(viewer, margin=0),
                       pn.Column(summary, quality, *([flags] if flags else []),
                                 sizing_mode="stretch_width", min_width=360, margin=0),
                       sizing_mode="stretch_width", margin=0),
                sources,
                pn.Row(pn.Column(provenance, sizing_mode="stretch_width", margin=0),
                       pn.Column(header, sizing_mode="stretch_width", margin=0),
                       sizing_mode="stretch_width", margin=0)]

    def _title_html(self, data: DetailData) -> str:
        im = data.image
        name = im.path.rsplit("/", 1)[-1]
        current = self.flags.current if self.flags is not None else None
        flag = ""
        if current:
            when = format_unix(current.get("created_at"), seconds=False)
            flag = " " + flag_badge(current["verdict"], current.get("user"),
                                    current.get("note"), when)
        return (f"<h2 style='margin:8px 0 2px 0'>Image {im.id} "
                f"<span style='font-weight:400;font-size:0.7em'>{html.escape(name)}</span> "
                f"{grade_badge(data.grade, data.grade_note)}{flag}</h2>")

    def _links_html(self, data: DetailData) -> str:
        m = self.model

        def link(image_id, text):
            url = m.neighbour_url(image_id)
            if url is None:
                return f"<span class='dsa-disabled'>{text} (none)</span>"
            return f"<a href='{html.escape(url)}' title='image {image_id}'>{text}</a>"

        parts = [link(data.previous_id, "← Previous in time"),
                 link(data.next_id, "Next in time →"),
                 f"<a href='{html.escape(m.fits_url)}' download>Download FITS</a>",
                 "<a href='/images'>All images</a>"]
        centre = data.metadata["centre"].value
        if centre and centre[0] is not None:
            parts.insert(3, f"<a href='{html.escape(m.cutout_url(centre[0], centre[1], 600))}'"
                            " target='_blank'>Cutout (10′ at centre)</a>")
        return "<div class='dsa-links'>" + "".join(parts) + "</div>"

    @staticmethod
    def _sources_table(data: DetailData):
        frame = data.sources
        if frame.empty:
            return pn.pane.HTML("<div style='opacity:0.8'>No photometry rows for this "
                                "image.</div>")
        shown = frame.assign(
            source=[link(s) for s in frame["source_id"]],
            flux_mjy=frame["flux_jy"] * 1e3, err_mjy=frame["flux_err_jy"] * 1e3,
            column=frame["flux_column"].map(FLUX_COLUMN_NAMES).fillna("—"))[
            ["source", "ra_deg", "dec_deg", "flux_mjy", "err_mjy", "snr", "nvss_flux_mjy",
             "column"]].rename(columns={
                 "source": "Source", "ra_deg": "RA (°)", "dec_deg": "Dec (°)",
                 "flux_mjy": "Flux (mJy)", "err_mjy": "Error (mJy)", "snr": "SNR",
                 "nvss_flux_mjy": "NVSS (mJy)", "column": "Flux column"})
        return pn.widgets.Tabulator(
            shown, disabled=True, show_index=False, pagination="local", page_size=12,
            selectable=False, sizing_mode="stretch_width", layout="fit_data_stretch",
            css_classes=["dsa-catalogue-table"], stylesheets=table_link_css(),
            header_tooltips={"Flux (mJy)": "peak fluxes (flux column 'peak') are mJy/beam",
                             "Flux column": "which photometry column the flux is from"},
            theme=table_theme(), formatters={"Source": {"type": "html"},
                        "RA (°)": NumberFormatter(format="0.00000"),
                        "Dec (°)": NumberFormatter(format="+0.00000"),
                        "Flux (mJy)": NumberFormatter(format="0.00"),
                        "Error (mJy)": NumberFormatter(format="0.000"),
                        "SNR": NumberFormatter(format="0.0"),
                        "NVSS (mJy)": NumberFormatter(format="0.0")})

    def __panel__(self):
        self._loads.first()  # outside a server: now
        return self._layout
