"""/ms/{path}: one measurement set's story as HTML sections (decision 0051): its row,
the HDF5 subbands present of 16, the calibration applied with each table's registry
entry and quality, its calibration QA (flagged fraction per spectral window as bars,
problematic ones marked), its images with thumbnails (linked to /images/{id}), its jobs
(linked to /jobs/{id}) and the previous and next observation in time.
"""

from __future__ import annotations

import html
import json

import panel as pn
import param
from panel.viewable import Viewer

from ..science.qa import PROBLEMATIC_SPW_FLAGGED
from ..repositories.ms_detail import SUBBANDS, MeasurementSetDetail
from ..science.times import format_mjd
from ..viewmodels.measurement_sets import ms_page_url
from ..viewmodels.ms_detail import MsDetailModel
from .background import is_served, load_in_background, update_together
from .job_format import DASH, JOBS_CSS, e, number, status_badge, table, utc

DETAIL_CSS = JOBS_CSS + """
.dsa-sb { display: inline-block; width: 38px; text-align: center; margin: 0 3px 3px 0;
  border-radius: 4px; font-size: 12px; line-height: 22px; }
.dsa-sb-yes { background: #2e7d32; color: #fff; }
.dsa-sb-no { border: 1px dashed rgba(127,127,127,0.8); opacity: 0.8; }
.dsa-spw { display: flex; align-items: center; gap: 6px; font-size: 12px; margin: 1px 0; }
.dsa-spw-bar { height: 10px; background: rgba(127,127,127,0.25); width: 240px;
  border-radius: 3px; overflow: hidden; }
.dsa-spw-bar span { display: block; height: 100%; background: #1565c0; }
.dsa-spw-bad .dsa-spw-bar span { background: #c62828; }
.dsa-thumb { width: 64px; height: 64px; object-fit: cover; border-radius: 3px;
  background: rgba(127,127,127,0.15); }
h3.dsa-h3 { margin: 14px 0 4px 0; }
"""


def _fixed(value, digits: int) -> str:
    v = number(value)
    return DASH if v is None else f"{v:.{digits}f}"


def _mjd(value) -> str:
    v = number(value)
    return DASH if v is None else f"{v:.6f} ({e(format_mjd(v))} UTC)"


def _json(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, dict):
        return ", ".join(f"{e(k)} {e(_short(v))}" for k, v in value.items()) or DASH
    return e(json.dumps(value)[:200])


def _short(value) -> str:
    v = number(value) if not isinstance(value, bool) else None
    return f"{v:.4g}" if v is not None else str(value)


def row_html(d: MeasurementSetDetail) -> str:
    r = d.record
    ra, dec = number(r.pointing_ra_deg), number(r.pointing_dec_deg)
    pairs = [
        ("Path", f"<span class='dsa-mono'>{e(r.path)}</span>"),
        ("Start", _mjd(r.start_mjd)), ("Mid", _mjd(r.mid_mjd)), ("End", _mjd(r.end_mjd)),
        ("Field", e(r.field_name or DASH)),
        ("Pointing RA, Dec", DASH if ra is None or dec is None else f"{ra:.4f}°, {dec:+.4f}°"),
        ("Stage", e(r.stage or DASH) + f" <span class='dsa-note'>since {utc(r.stage_updated_at)}"
                                        " UTC</span>"),
        ("Status", status_badge(r.status)),
        ("Calibration applied", "yes" if d.calibration_applied else "no"),
        ("Processed", utc(r.processed_at) + " UTC" if r.processed_at else DASH),
        ("Group id", e(r.group_id or DASH)), ("Run id", e(r.run_id or DASH)),
    ]
    rows = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f"<table class='dsa-jobs dsa-kv'>{rows}</table>"


def subbands_html(d: MeasurementSetDetail) -> str:
    if d.subbands is None:
        why = ("this database has no HDF5 file index" if "hdf5_files" in d.missing
               else "the measurement set has no group id to match its HDF5 files by")
        return f"<div class='dsa-note'>Not known: {e(why)}.</div>"
    boxes = "".join(
        f"<span class='dsa-sb dsa-sb-{'yes' if sb in d.subbands else 'no'}' "
        f"title='{sb}: {'present' if sb in d.subbands else 'missing'}'>{sb[2:]}</span>"
        for sb in SUBBANDS)
    present = sum(1 for sb in SUBBANDS if sb in d.subbands)
    return (f"<div class='dsa-subbands'><b>{present} of {len(SUBBANDS)}</b> subbands "
            f"present</div><div>{boxes}</div>")


def covers(table, mjd) -> bool:  # noqa: ANN001 - a CalTableRecord
    """Whether the table's window (ends inclusive, open ends unbounded) holds ``mjd``;
    True when the observation has no time (nothing to compare)."""
    mjd = number(mjd)
    if mjd is None:
        return True
    start, end = number(table.valid_start_mjd), number(table.valid_end_mjd)
    return (start is None or start <= mjd) and (end is None or mjd <= end)


def calibration_html(d: MeasurementSetDetail) -> str:
    if "calibration_applied" in d.missing:
        return ("<div class='dsa-note'>This database has no calibration_applied table: "
                "which tables were applied is not recorded (ms_index.cal_applied says "
                f"{'yes' if d.calibration_applied else 'no'}).</div>")
    rows = []
    for a in d.applied:
        t = a.table
        outcome = (status_badge("ok") if a.applied.success is not False
                   else status_badge("failed", a.applied.error_message))
        error = (f"<br><code>{e(a.applied.error_message)}</code>"
                 if a.applied.error_message else "")
        if t is None:
            registry = "<span class='dsa-note'>not in the registry</span>"
            kind = window = DASH
        else:
            registry = f"{e(t.set_name)} {status_badge(t.status)}"
            kind = e(t.table_type)
            window = f"{_fixed(t.valid_start_mjd, 4)} – {_fixed(t.valid_end_mjd, 4)}"
            if not covers(t, d.record.mid_mjd):
                window += " " + status_badge("outside", "the observation's mid time is "
                                                        "outside this validity window")
        rows.append([f"<span class='dsa-mono'>{e(a.applied.caltable_path)}</span>", kind,
                     registry, window, _fixed(a.applied.quality, 3),
                     _json(t.quality_metrics) if t is not None else DASH,
                     outcome + error, utc(a.applied.applied_at)])
    return table([("Table", "dsa-path"), ("Type", ""), ("Set", ""),
                  ("Valid (MJD)", "dsa-nowrap"), ("Quality", "dsa-num"),
                  ("Metrics", ""), ("Applied", ""), ("At (UTC)", "dsa-nowrap")], rows,
                 "No calibration was applied to this measurement set.")


def qa_html(d: MeasurementSetDetail) -> str:
    if "calibration_qa" in d.missing:
        return "<div class='dsa-note'>This database has no calibration_qa table.</div>"
    if not d.qa:
        return "<div class='dsa-note'>No calibration QA for this measurement set.</div>"
    q = d.qa[0]  # the newest
    parts = [f"<div>Overall {status_badge(q.overall_quality)} "
             f"<span class='dsa-note'>{utc(q.timestamp)} UTC"
             + (f"; {len(d.qa) - 1} older QA row(s)" if len(d.qa) > 1 else "") + "</span></div>",
             table([("Solve", ""), ("Metrics", "")],
                   [[k, _json(v)] for k, v in (("K", q.k_metrics), ("BP", q.bp_metrics),
                                               ("G", q.g_metrics))], "")]
    spws = [s for s in q.per_spw_stats or [] if isinstance(s, dict)]
    if spws:
        parts.append(f"<h4 class='dsa-h'>Flagged fraction per spectral window "
                     f"(problematic above {PROBLEMATIC_SPW_FLAGGED:g}, red)</h4>")
        for s in spws:
            frac = number(s.get("fraction_flagged"))
            bad = s.get("spw_id") in q.problematic_spws
            width = 0.0 if frac is None else max(0.0, min(1.0, frac)) * 100
            parts.append(
                f"<div class='dsa-spw{' dsa-spw-bad' if bad else ''}'>"
                f"<span style='width:52px'>SPW {e(s.get('spw_id'))}</span>"
                f"<div class='dsa-spw-bar'><span style='width:{width:.1f}%'></span></div>"
                f"<span>{DASH if frac is None else f'{frac:.2f}'}"
                f"{' problematic' if bad else ''}</span></div>")
    else:
        parts.append("<div class='dsa-note'>No per-SPW statistics.</div>")
    return "".join(parts)


def images_html(d: MeasurementSetDetail) -> str:
    if "images" in d.missing:
        return "<div class='dsa-note'>This database has no images table.</div>"
    rows = []
    for im in d.images.to_dict("records"):
        image_id = int(im["id"])
        noise = number(im.get("noise_jy"))
        rows.append([
            f"<a href='/images/{image_id}'><img class='dsa-thumb' loading='lazy' alt='' "
            f"src='/api/v1/images/{image_id}/thumbnail.png'></a>",
            f"<a class='dsa-image-link' href='/images/{image_id}'>{image_id}</a>",
            e(im.get("type")), f"<span class='dsa-mono'>{e(str(im['path']).rsplit('/', 1)[-1])}"
                               "</span>",
            DASH if noise is None else f"{noise * 1e3:.3f}",
            _fixed(im.get("dynamic_range"), 0), utc(im.get("created_at"))])
    return table([("", ""), ("Image", ""), ("Type", ""), ("File", "dsa-path"),
                  ("Noise (mJy/beam)", "dsa-num"), ("DR", "dsa-num"),
                  ("Created (UTC)", "dsa-nowrap")], rows, "No images from this measurement set.")


def jobs_html(d: MeasurementSetDetail) -> str:
    if "jobs" in d.missing:
        return "<div class='dsa-note'>This database has no jobs table.</div>"
    rows = [[f"<a class='dsa-job-link' href='/jobs/{int(j['id'])}'>{int(j['id'])}</a>",
             e(j.get("type")), status_badge(j.get("status")), utc(j.get("created_at")),
             utc(j.get("finished_at"))] for j in d.jobs.to_dict("records")]
    return table([("Job", ""), ("Type", ""), ("Status", ""), ("Created (UTC)", "dsa-nowrap"),
                  ("Finished (UTC)", "dsa-nowrap")], rows, "No jobs for this measurement set.")


def neighbours_html(d: MeasurementSetDetail) -> str:
    def link(path: str | None, label: str, css: str) -> str:
        if path is None:
            return f"<span class='dsa-note'>{label}: none</span>"
        return (f"<a class='{css}' href='{e(ms_page_url(path))}' title='{e(path)}'>{label}: "
                f"{e(path.rsplit('/', 1)[-1])}</a>")

    return (f"<div>{link(d.previous, '‹ Previous', 'dsa-ms-prev')} &nbsp;·&nbsp; "
            f"{link(d.next, 'Next ›', 'dsa-ms-next')}</div>")


def detail_html(d: MeasurementSetDetail) -> str:
    name = d.record.path.rsplit("/", 1)[-1]
    sections = [
        f"<h2 style='margin:8px 0 4px 0'>{e(name)}</h2>", neighbours_html(d), row_html(d),
        "<h3 class='dsa-h3'>HDF5 subbands</h3>", subbands_html(d),
        "<h3 class='dsa-h3'>Calibration applied</h3>", calibration_html(d),
        "<h3 class='dsa-h3'>Calibration QA</h3>", qa_html(d),
        "<h3 class='dsa-h3'>Images</h3>", images_html(d),
        "<h3 class='dsa-h3'>Jobs</h3>", jobs_html(d)]
    return "".join(sections)


class MsDetailView(Viewer):
    model = param.ClassSelector(class_=MsDetailModel)

    def __init__(self, **params):
        super().__init__(**params)
        self.body = pn.pane.HTML("<div class='dsa-note'>Loading…</div>",
                                 stylesheets=[DETAIL_CSS], sizing_mode="stretch_width",
                                 css_classes=["dsa-ms-detail"])
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width", css_classes=["dsa-ms-error"])
        self.model.param.watch(self._render, ["detail", "error"])

    def _render(self, *_events) -> None:
        m = self.model
        if m.error:
            kind = "Not a registered measurement set" if m.not_found else "Could not load"
            self.alert.param.update(object=f"**{kind}**: {html.escape(m.error)}",
                                    visible=True)
            self.body.object = ""
            return
        self.alert.visible = False
        if m.detail is not None:
            self.body.object = detail_html(m.detail)

    def _load(self) -> None:
        result = self.model.fetch()
        update_together(lambda: self.model.apply(result))

    def __panel__(self):
        if is_served():
            load_in_background(self._load)
        else:
            self.model.load()
        return pn.Column(self.alert, self.body, sizing_mode="stretch_width", margin=0)
