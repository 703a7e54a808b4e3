"""The text sections of /images/{id} as HTML: summary, QA, provenance, FITS header.

Everything from the database or a file is escaped. The provenance links to the job that
made the image (``/jobs/{id}``) when the database says which one did, else to the jobs of
its measurement set (``/jobs?ms=<path>``).
"""

from __future__ import annotations

import html
import urllib.parse

from ..repositories.jobs import JobRecord, artifact_paths
from ..repositories.qa import DERIVED_FROM_DR, MEASURED
from ..science.numbers import format_number
from ..science.times import format_mjd, format_unix
from ..viewmodels.image_detail import ORIGIN_DB, DetailData
from .image_table import grade_badge

SECTION_CSS = """
table.dsa-kv, table.dsa-list { border-collapse: collapse; width: 100%; font-size: 0.9em; }
table.dsa-kv th { text-align: left; font-weight: 600; padding: 3px 10px 3px 0;
  vertical-align: top; white-space: nowrap; width: 1%; }
table.dsa-kv td, table.dsa-list td { padding: 3px 8px 3px 0; vertical-align: top; }
table.dsa-list th { text-align: left; padding: 3px 8px 3px 0;
  border-bottom: 1px solid rgba(127,127,127,0.4); }
table.dsa-list tr:nth-child(even) td { background: rgba(127,127,127,0.07); }
.dsa-origin { font-size: 0.8em; padding: 0 6px; margin-left: 6px; border-radius: 8px;
  border: 1px solid rgba(178,106,0,0.7); color: #b26a00; white-space: nowrap; }
.dsa-note { font-size: 0.85em; opacity: 0.8; margin: 4px 0; }
.dsa-warn-list { color: #b26a00; margin: 4px 0 4px 18px; padding: 0; }
.dsa-mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono",
  monospace; }
pre.dsa-header-block { font-size: 0.8em; line-height: 1.35; max-height: 460px; overflow: auto;
  margin: 0; padding: 8px; border: 1px solid rgba(127,127,127,0.35); border-radius: 4px;
  background: rgba(127,127,127,0.06); white-space: pre; }
h4.dsa-h { margin: 10px 0 4px 0; }
a { color: #2f81f7; }
code { word-break: break-all; }
"""

STATUS_COLOURS = {"completed": "#2e7d32", "done": "#2e7d32", "ok": "#2e7d32",
                  "running": "#1565c0", "pending": "#6b7785", "failed": "#c62828",
                  "active": "#2e7d32", "retired": "#6b7785", "cancelled": "#8d5a00"}


def e(value) -> str:
    return html.escape("" if value is None else str(value))


def status_badge(status: str | None) -> str:
    colour = STATUS_COLOURS.get((status or "").lower(), "#6b7785")
    return (f'<span style="background:{colour};color:#fff;padding:0 7px;border-radius:8px;'
            f'font-size:0.85em">{e(status or "unknown")}</span>')


def origin_tag(origin: str | None) -> str:
    if origin is None:
        return '<span class="dsa-origin">not in database, header or pixels</span>'
    if origin == ORIGIN_DB:
        return ""
    return f'<span class="dsa-origin" title="the database has NULL here">{e(origin)}</span>'


def jobs_url(ms_path: str) -> str:
    return "/jobs?" + urllib.parse.urlencode({"ms": ms_path})


def maker_job(data: DetailData) -> JobRecord | None:
    """The job that made the image: one of its MS's jobs whose artifacts name the image
    (the newest), else the job its newest QA row names."""
    jobs = data.provenance.jobs if data.provenance else ()
    for job in jobs:  # newest first
        if data.image.path in artifact_paths(job.artifacts):
            return job
    by_id = {j.id: j for j in jobs}
    for row in data.qa_rows:
        if row.job_id in by_id:
            return by_id[row.job_id]
    return None


def summary_html(data: DetailData) -> str:
    im = data.image
    rows = [
        ("Observed (UTC)", f"{e(format_mjd(im.mjd) or 'unknown')} "
                           f"<span class='dsa-note'>MJD {im.mjd:.5f}</span>"
         if im.mjd is not None else "unknown"),
        ("Type", f"{e(im.type)}" + (" · primary-beam corrected" if im.pbcor else "")),
        ("Field", e(im.field_name or "—")),
    ]
    for key in ("centre", "noise", "dynamic_range", "beam", "size", "cell", "frequency"):
        item = data.metadata[key]
        rows.append((item.label, f"{e(item.text)}{origin_tag(item.origin)}"))
    if im.bandwidth_mhz is not None:
        rows.append(("Bandwidth", f"{im.bandwidth_mhz:.1f} MHz"))
    if im.integration_sec is not None:
        rows.append(("Integration", f"{im.integration_sec:.0f} s"))
    rows.append(("Created", e(format_unix(im.created_at)) + " UTC"))
    rows.append(("Path", f"<code>{e(im.path)}</code>"))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    notes = "".join(f"<div class='dsa-note'>{e(n)}</div>" for n in data.notes)
    return f"<table class='dsa-kv'>{body}</table>{notes}"


def qa_html(data: DetailData) -> str:
    kind = ("measured" if data.grade_kind == MEASURED else
            "derived from dynamic range" if data.grade_kind == DERIVED_FROM_DR else
            data.grade_kind)
    parts = [f"<div style='font-size:1.1em;margin:2px 0 6px 0'>QA grade "
             f"{grade_badge(data.grade, kind)} <span class='dsa-note'>({e(kind)})</span></div>",
             f"<div class='dsa-note'>{e(data.grade_note)}</div>"]
    if data.warnings:
        parts.append("<ul class='dsa-warn-list'>" + "".join(
            f"<li>Warning: {e(w)}</li>" for w in data.warnings) + "</ul>")
    else:
        parts.append("<div class='dsa-note'>No pipeline warnings (noise ≤ 10 mJy/beam, "
                     "dynamic range ≥ 100, where known).</div>")
    if data.qa_rows:
        head = ("<tr><th>Assessed (UTC)</th><th>Grade</th><th>RMS (mJy/beam)</th>"
                "<th>Peak (Jy)</th><th>DR</th><th>Beam (″)</th><th>Sources</th>"
                "<th>Job</th></tr>")
        body = "".join(
            f"<tr><td>{e(format_unix(q.timestamp))}</td><td>{grade_badge(q.overall_quality)}"
            f"</td><td>{format_number(q.rms_noise, '.3f', scale=1e3)}</td><td>{format_number(q.peak_flux, '.3f')}</td>"
            f"<td>{format_number(q.dynamic_range, ',.0f')}</td>"
            f"<td>{format_number(q.beam_major, '.1f')} × {format_number(q.beam_minor, '.1f')}</td>"
            f"<td>{e(q.num_sources if q.num_sources is not None else '—')}</td>"
            f"<td>{e(q.job_id)}</td></tr>" for q in data.qa_rows)
        parts.append(f"<h4 class='dsa-h'>image_qa rows (newest first)</h4>"
                     f"<table class='dsa-list'>{head}{body}</table>")
    else:
        parts.append("<div class='dsa-note'>No image_qa row: the pipeline's QA step never "
                     "assessed this image.</div>")
    return "".join(parts)


def provenance_html(data: DetailData) -> str:
    p = data.provenance
    im = data.image
    parts = ["<h4 class='dsa-h'>Measurement set</h4>"]
    ms = p.measurement_set if p else None
    if ms is None:
        parts.append(f"<div>Not in ms_index: <code>{e(im.ms_path)}</code></div>")
    else:
        parts.append(
            "<table class='dsa-kv'>"
            f"<tr><th>Path</th><td><code>{e(ms.path)}</code></td></tr>"
            f"<tr><th>Stage</th><td>{e(ms.stage or '—')} "
            f"<span class='dsa-note'>(coarse grade from the stage: {e(ms.coarse_grade)}; "
            "not a measured quality)</span></td></tr>"
            f"<tr><th>Status</th><td>{status_badge(ms.status)}</td></tr>"
            f"<tr><th>Observed</th><td>{e(format_mjd(ms.start_mjd) or '—')} → "
            f"{e(format_mjd(ms.end_mjd) or '—')} UTC</td></tr>"
            f"<tr><th>Calibration applied</th><td>{'yes' if ms.cal_applied else 'no'}</td></tr>"
            f"<tr><th>Run id</th><td>{e(ms.run_id or '—')}</td></tr>"
            "</table>")
    maker = maker_job(data)
    if maker is not None:
        parts.append(f"<div>Made by job <a class='dsa-maker-job' href='/jobs/{int(maker.id)}'>"
                     f"{e(maker.id)}</a> ({e(maker.type)}, {status_badge(maker.status)}) · "
                     f"<a href='{e(jobs_url(im.ms_path))}'>every job of this MS</a></div>")
    else:
        parts.append(f"<div class='dsa-note'>The database does not say which job made it: "
                     f"<a class='dsa-ms-jobs' href='{e(jobs_url(im.ms_path))}'>the jobs of "
                     "this MS</a>.</div>")

    applied_ok = {True: "yes", False: "no", None: "—"}
    parts += [
        _list_section(
            "Calibration tables active at its MJD (apply order)",
            ("#", "Type", "Set", "Valid (MJD)", "Status", "Path"),
            [(e(t.order_index), e(t.table_type), e(t.set_name),
              f"{format_number(t.valid_start_mjd, '.3f')} – {format_number(t.valid_end_mjd, '.3f')}",
              status_badge(t.status), f"<code>{e(t.path)}</code>")
             for t in (p.calibration_tables if p else ())],
            "No active calibration table covers this image's MJD."),
        _list_section(
            "Calibration applied to the MS", ("Applied (UTC)", "Table", "OK", "Error"),
            [(e(format_unix(a.applied_at)), f"<code>{e(a.caltable_path)}</code>",
              applied_ok[None if a.success is None else bool(a.success)],
              e(a.error_message or "")) for a in (p.calibration_applied if p else ())],
            "No calibration_applied rows for this MS."),
        _list_section(
            "Jobs that processed the MS (newest first)",
            ("Id", "Type", "Status", "Created (UTC)", "Finished (UTC)"),
            [(f"<a href='/jobs/{int(j.id)}'>{e(j.id)}</a>", e(j.type), status_badge(j.status),
              e(format_unix(j.created_at) or "—"), e(format_unix(j.finished_at) or "—"))
             for j in (p.jobs if p else ())],
            "No job rows for this MS."),
    ]
    return "".join(parts)


def _list_section(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]],
                  empty: str) -> str:
    """A heading, then a table of ``rows`` (cells already HTML), or ``empty``."""
    html_ = f"<h4 class='dsa-h'>{e(title)}</h4>"
    if not rows:
        return html_ + f"<div class='dsa-note'>{e(empty)}</div>"
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return html_ + f"<table class='dsa-list'><tr>{head}</tr>{body}</table>"


def header_html(data: DetailData) -> str:
    if data.header_text is None:
        return ("<div class='dsa-note'>The FITS header could not be read: "
                f"{e(data.file_error or 'no file')}</div>")
    return f"<pre class='dsa-header-block dsa-mono'>{e(data.header_text)}</pre>"

