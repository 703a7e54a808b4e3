"""One source: catalogue facts, lightcurve with the selected epoch's cutout, live
statistics for the current exclusions, downloads, nearby sources, contributing images."""

from __future__ import annotations

import html

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from ..science.coordinates import format_dec, format_ra
from ..science.numbers import format_number
from ..viewmodels.source_detail import (
    EXPORT_FORMATS,
    FLUX_CHOICES,
    TIME_AXES,
    SourceDetailModel,
    export_filename,
)
from ..viewmodels.sources import source_url
from .background import NewestOnly, load_early
from .image_table import flag_badge
from .lightcurve import LightcurvePlot


def _origin() -> str:
    """``http://host:port`` of the page as the browser addressed it ('' in a notebook)."""
    loc = pn.state.location
    if loc is None or not loc.hostname:
        return ""
    port = f":{loc.port}" if loc.port else ""
    return f"{loc.protocol}//{loc.hostname}{port}"

#: Links readable on both themes (the panes render in their own shadow roots).
LINK_CSS = ["a { color: #2f80ed; } a:visited { color: #7b61ff; }"]
#: Plain HTML tables (statistics, nearby sources, a page of contributing images): a
#: browser draws them far faster than a Tabulator.
TABLE_CSS = ["table.dsa-table { border-collapse: collapse; }"
             " .dsa-table th, .dsa-table td { padding: 3px 10px 3px 0; text-align: left;"
             " border-bottom: 1px solid rgba(128, 128, 128, 0.3); }"
             " .dsa-table td.num { text-align: right; font-variant-numeric: tabular-nums;"
             " white-space: nowrap; }"]
IMAGES_PAGE = 50
CHOICE_STYLE = {"color": "primary", "variant": "outline"}
EXPORT_LABELS = {"csv": "CSV (units in column names)",
                 "ecsv": "ECSV (astropy: units and metadata)", "votable": "VOTable",
                 "json": "JSON"}


def _statistic(value, unit: str) -> str:
    """A statistic's cell: a number with its unit, or a word ("yes") as it is."""
    if isinstance(value, str):
        return html.escape(value)
    return format_number(value, unit=unit)


def _position(ra: float | None, dec: float | None) -> str:
    if ra is None or dec is None:
        return "—"
    return f"{format_ra(ra)} {format_dec(dec)}"


class SourceDetailView(Viewer):
    model = param.ClassSelector(class_=SourceDetailModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        # Outline style: the chosen button is filled, which reads in both themes (the
        # default style marks it by a shade that vanishes in the dark theme).
        self._flux = pn.widgets.RadioButtonGroup(
            options={v: k for k, v in FLUX_CHOICES.items()}, value=m.flux, **CHOICE_STYLE)
        self._flux.link(m, value="flux", bidirectional=True)
        self._time = pn.widgets.RadioButtonGroup(
            options={v: k for k, v in TIME_AXES.items()}, value=m.time_axis, **CHOICE_STYLE)
        self._time.link(m, value="time_axis", bidirectional=True)
        self._exclude_qa = pn.widgets.Checkbox.from_param(
            m.param.exclude_qa, label="Exclude QA-failed epochs from the statistics",
            css_classes=["dsa-exclude-qa"])
        self._include_flagged = pn.widgets.Checkbox.from_param(
            m.param.include_flagged, label="Include epochs of images flagged bad",
            css_classes=["dsa-include-flagged"])
        self._clear = pn.widgets.Button(label="Include all hand-excluded epochs")
        self._clear.on_click(lambda _e: m.clear_exclusions())
        self._toggle = pn.widgets.Button(label="Exclude this epoch", visible=False)
        self._toggle.on_click(self._toggle_epoch)
        self._facts = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=LINK_CSS)
        self._downloads = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=LINK_CSS)
        self._excl_text = pn.pane.Markdown("", margin=(0, 10))
        self._stats = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=TABLE_CSS)
        self._epoch = pn.pane.HTML('<p class="dsa-muted">Click a point to see that epoch\'s '
                                   "cutout here.</p>", width=300, min_height=300,
                                   stylesheets=LINK_CSS)
        self._alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                    sizing_mode="stretch_width")
        self._nearby = pn.pane.HTML("", sizing_mode="stretch_width",
                                    stylesheets=LINK_CSS + TABLE_CSS)
        self._images = pn.pane.HTML("", sizing_mode="stretch_width",
                                    stylesheets=LINK_CSS + TABLE_CSS)
        self._images_page = 0
        self._images_prev = pn.widgets.Button(label="‹ Previous", disabled=True, align="center")
        self._images_next = pn.widgets.Button(label="Next ›", disabled=True, align="center")
        self._images_prev.on_click(lambda _e: self._turn_images_page(-1))
        self._images_next.on_click(lambda _e: self._turn_images_page(+1))
        self._images_label = pn.pane.Markdown("", margin=(0, 10), align="center")
        self._plot = LightcurvePlot(model=m)
        # Quick flux changes overlap: only the newest one's lightcurve is shown.
        self._lightcurve_loads = NewestOnly(m.fetch_lightcurve, m.apply,
                                            busy=[self._plot.pane])
        self._body = pn.Column(
            self._facts,
            pn.Row(pn.pane.Markdown("**Flux**", margin=(12, 5)), self._flux,
                   pn.pane.Markdown("**Time**", margin=(12, 5)), self._time,
                   sizing_mode="stretch_width"),
            pn.Row(self._exclude_qa, self._include_flagged, self._clear, self._excl_text),
            pn.Row(pn.Column(self._plot, sizing_mode="stretch_width"),
                   pn.Column(self._epoch, self._toggle, width=320),
                   sizing_mode="stretch_width"),
            self._downloads,
            pn.Row(pn.Column(pn.pane.Markdown("#### Statistics"), self._stats, width=520),
                   pn.Column(pn.pane.Markdown("#### Nearby sources (15 arcmin)"),
                             self._nearby, sizing_mode="stretch_width"),
                   sizing_mode="stretch_width"),
            pn.Row(pn.pane.Markdown("#### Contributing images", align="center"),
                   self._images_label, self._images_prev, self._images_next),
            self._images,
            visible=False, sizing_mode="stretch_width")
        self._spinner = pn.indicators.LoadingSpinner(value=True, size=40,
                                                     label="Loading the source…")
        self._layout = pn.Column(self._alert, self._spinner, self._body,
                                 sizing_mode="stretch_width")
        m.param.watch(self._render_all, ["record", "error", "nearby", "images"])
        m.param.watch(self._render_stats, ["stats"])
        m.param.watch(self._render_epoch, ["epoch", "excluded", "exclude_qa", "include_flagged",
                                           "lightcurve"])
        m.param.watch(self._render_downloads, ["flux", "excluded", "exclude_qa",
                                               "include_flagged"])
        m.param.watch(self._on_flux, ["flux"])

    # ------------------------------------------------------------------ work
    def _loaded(self) -> None:
        self._spinner.visible = False

    def _on_flux(self, *_events) -> None:
        if self.model.record is not None:
            self._lightcurve_loads.schedule()

    def _toggle_epoch(self, _event) -> None:
        if self.model.epoch is not None:
            self.model.toggle_epoch(self.model.epoch)

    # ---------------------------------------------------------------- render
    def _render_all(self, *_events) -> None:
        m = self.model
        if m.error:
            title = "Source not found" if m.not_found else "Could not load the source"
            self._alert.object = (f"**{title}.** {html.escape(m.error)} "
                                  '<a href="/sources">Back to the source search</a>')
            self._alert.visible = True
            self._spinner.visible = False
            return
        self._alert.visible = False
        rec = m.record
        if rec is None:
            return
        self._body.visible = True
        self._render_facts()
        self._render_downloads()
        self._render_stats()
        self._render_epoch()
        self._nearby.object = self._nearby_html()
        self._images_page = 0
        self._render_images()

    def _render_facts(self) -> None:
        rec = self.model.record
        lc = self.model.lightcurve
        n_failed = int(lc["qa_failed"].sum()) if not lc.empty else 0
        n_flagged = int(lc["flagged_bad"].sum()) if not lc.empty else 0
        flagged = f", {n_flagged} from images flagged bad" if n_flagged else ""
        ese = (f'<span class="dsa-badge">ESE candidate: {html.escape(rec.ese_status)}</span>'
               if rec.ese_status else "")
        self._facts.object = (
            f'<h2 class="dsa-source-title">{html.escape(rec.source_id)} {ese}</h2>'
            '<table class="dsa-facts"><tr>'
            f"<td><b>Position</b> {_position(rec.ra_deg, rec.dec_deg)} "
            f"({format_number(rec.ra_deg, '.5f')}°, {format_number(rec.dec_deg, '+.5f')}°)</td>"
            f"<td><b>NVSS flux</b> {format_number(rec.nvss_flux_mjy, '.1f', unit='mJy')}</td>"
            f"<td><b>Epochs</b> {len(lc):,} ({n_failed} from QA-failed images{flagged})</td>"
            f"<td><b>MJD</b> {format_number(rec.first_mjd, '.4f')} – {format_number(rec.last_mjd, '.4f')}</td>"
            "</tr></table>")

    def _render_downloads(self, *_events) -> None:
        m = self.model
        links = " · ".join(
            f'<a class="dsa-download" href="{html.escape(m.export_url(fmt))}" download>'
            f"{EXPORT_LABELS[fmt]}</a>" for fmt in EXPORT_FORMATS)
        n_out = len(m.excluded_ids)
        marks = ("; rows left out of the statistics here are marked in its "
                 "<code>excluded</code> column" if n_out or m.exclude_qa or (
                     not m.include_flagged and m.lightcurve["flagged_bad"].any()) else "")
        call = f"curl -o {export_filename(m.source_id, 'csv')} '{_origin()}{m.export_url('csv')}'"
        self._downloads.object = (
            f"<p><b>Download the lightcurve</b> ({html.escape(m.flux)} flux{marks}): "
            f"{links}</p><p class='dsa-api-call'>The same from a script: "
            f"<code class='dsa-copy'>{html.escape(call)}</code></p>")

    def _render_stats(self, *_events) -> None:
        m = self.model
        table = m.stats_table()
        _, why = m.stored_comparable()
        rows = "".join(
            f'<tr><td>{html.escape(r.statistic)}</td>'
            f'<td class="num">{_statistic(r.live, r.unit)}</td>'
            f'<td class="num">{_statistic(r.pipeline, r.pipeline_unit)}</td></tr>'
            for r in table.itertuples())
        self._stats.object = (
            '<table class="dsa-stats dsa-table"><thead><tr><th>Statistic</th>'
            "<th>Live (current exclusions)</th><th>Stored</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            '<p class="dsa-muted dsa-stats-note">Live values: the science module\'s '
            f"lightcurve_stats on the included epochs of the {html.escape(m.flux)} flux. "
            f"{html.escape(why)} η and χ²ν about the weighted mean are the same number "
            "(decision 0018).</p>")
        lc = m.lightcurve
        n_in = int(m.included_mask().sum()) if not lc.empty else 0
        self._excl_text.object = (f"{n_in} of {len(lc)} epochs in the statistics; "
                                  f"{len(m.excluded_ids)} excluded by hand.")

    def _render_epoch(self, *_events) -> None:
        m = self.model
        row = m.selected_epoch()
        if row is None:
            self._epoch.object = ('<p class="dsa-muted">Click a point to see that epoch\'s '
                                  "cutout here.</p>")
            self._toggle.visible = False
            return
        img = ""
        if row.get("cutout_url"):
            img = (f'<img class="dsa-cutout" src="{html.escape(row["cutout_url"])}" '
                   'width="280" height="280" alt="cutout of the selected epoch">')
        link = (f'<a class="dsa-image-link" href="{html.escape(row["image_url"])}">'
                f'Open image {html.escape(row["image_url"].rsplit("/", 1)[-1])}</a>'
                if row.get("image_url") else "no image registered")
        status = "excluded" if row["excluded"] else "included"
        qa = " · <b>QA failed</b>" if row["qa_failed"] else ""
        if isinstance(row.get("flag_verdict"), str):
            who = f" by {html.escape(str(row.get('flag_user')))}" if row.get("flag_user") else ""
            style = " class='dsa-flagged-bad'" if row.get("flagged_bad") else ""
            qa += (f" · <b{style}>flagged {html.escape(row['flag_verdict'])}</b>{who}")
        unit = "mJy/beam" if row.get("flux_column") == "peak_jyb" else "mJy"
        self._epoch.object = (
            f'<div class="dsa-epoch">{img}<p><b>MJD</b> {format_number(row["mjd"], ".5f")} · '
            f'{html.escape(str(row["date"])[:19])} UTC<br><b>Flux</b> '
            f'{format_number(row["flux_jy"] * 1000, ".3f")} ± {format_number(row["flux_err_jy"] * 1000, ".3f")} '
            f'{unit} · <b>SNR</b> {format_number(row["snr"], ".1f")}<br><b>QA</b> '
            f'{html.escape(str(row.get("qa_grade") or "—"))}{qa} · {status}<br>{link}</p></div>')
        self._toggle.label = "Include this epoch" if row["excluded"] and \
            row["photometry_id"] in m.excluded_ids else "Exclude this epoch"
        self._toggle.visible = True

    def _nearby_html(self) -> str:
        rows = self.model.nearby
        if rows is None or rows.empty:
            return '<p class="dsa-muted">No other catalogued source within 15 arcmin.</p>'
        body = "".join(
            f'<tr><td><a href="{html.escape(source_url(s))}">{html.escape(s)}</a></td>'
            f'<td class="num">{format_number(sep, ".1f")}</td><td class="num">{format_number(nvss, ".1f")}</td>'
            f'<td class="num">{format_number(eta, ".3f")}</td></tr>'
            for s, sep, nvss, eta in zip(
                rows["source_id"], pd.to_numeric(rows["sep_arcsec"], errors="coerce"),
                pd.to_numeric(rows["nvss_flux_mjy"], errors="coerce"),
                pd.to_numeric(rows["eta_metric"], errors="coerce")))
        return ('<table class="dsa-nearby dsa-table"><thead><tr><th>Source</th>'
                "<th>Sep (arcsec)</th><th>NVSS (mJy)</th><th>η</th></tr></thead>"
                f"<tbody>{body}</tbody></table>")

    def _turn_images_page(self, step: int) -> None:
        self._images_page += step
        self._render_images()

    def _render_images(self) -> None:
        """One page of the contributing images, in observation order (a source observed
        for a year has thousands: the browser gets IMAGES_PAGE rows at a time)."""
        rows = self.model.images
        total = 0 if rows is None else len(rows)
        pages = max(1, -(-total // IMAGES_PAGE))
        self._images_page = min(max(self._images_page, 0), pages - 1)
        first = self._images_page * IMAGES_PAGE
        part = rows.iloc[first:first + IMAGES_PAGE] if total else None
        self._images_prev.disabled = self._images_page == 0
        self._images_next.disabled = self._images_page >= pages - 1
        self._images_label.object = (f"{first + 1:,}–{first + len(part):,} of {total:,}"
                                     if total else "")
        if not total:
            self._images.object = '<p class="dsa-muted">No image has measured this source.</p>'
            return
        mjd = pd.to_numeric(part["mjd"], errors="coerce")
        verdicts = part["flag_verdict"] if "flag_verdict" in part else [None] * len(part)
        users = part["flag_user"] if "flag_user" in part else [None] * len(part)
        body = "".join(
            f'<tr><td><a href="/images/{int(i)}">{int(i)}</a> {flag_badge(v, u)}</td>'
            f'<td class="num">{format_number(t, ".5f")}</td><td>{html.escape(str(kind or "—"))}</td>'
            f"<td>{html.escape(str(path or '—'))}</td></tr>"
            for i, t, kind, path, v, u in zip(part["image_id"], mjd, part["type"], part["path"],
                                              verdicts, users))
        self._images.object = ('<table class="dsa-images dsa-table"><thead><tr><th>Image</th>'
                               "<th>MJD</th><th>Type</th><th>Path</th></tr></thead>"
                               f"<tbody>{body}</tbody></table>")

    def __panel__(self):
        # The page's many panes change in one batch: none shows before the others.
        load_early(self.model.fetch, self.model.apply, self._loaded)
        return self._layout
