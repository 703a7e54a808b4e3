"""The wall display as HTML: the fixed part (health, freshness, the newest image,
throughput, failed jobs, QA) and one section per rotating panel (decision 0061).

Pure functions of a ``WallModel``: testable without a server. Times the browser keeps
current are marked: ``data-age="<unix>"`` (an age, "3 min ago") and ``data-clock``
(the UTC clock); the rotation shows one ``section.wall-panel`` at a time.
"""

from __future__ import annotations

import html

from ...repositories.ms_funnel import FunnelCount, stage_order
from ...science.times import format_unix
from ...status.lights import BAD, OK, UNKNOWN, WARN
from ...viewmodels.overview import human_age, mjd_to_datetime
from ...viewmodels.wall import HOURS, JOB_HOURS, PANEL_TITLES, WallModel
from ..overview.throughput import EXPECTED_PER_HOUR
from . import charts

LIGHT_WORDS = {OK: "OK", WARN: "WARNING", BAD: "PROBLEM", UNKNOWN: "UNKNOWN"}
THUMBNAIL = "/api/v1/images/{id}/thumbnail.png"
#: The newest image is shown large: rendered at this size (then cached) for 4K screens.
LARGE_SIZE = 1024


def esc(value) -> str:
    return html.escape(str(value))


def light(state: str, text: str | None = None, extra: str = "") -> str:
    return (f'<span class="wall-light wall-{esc(state)} {extra}">'
            f"{esc(text if text is not None else LIGHT_WORDS.get(state, state))}</span>")


def dot(state: str) -> str:
    return f'<span class="wall-dot wall-{esc(state)}"></span>'


def age(unix: float | None, now: float) -> str:
    if unix is None:
        return '<span class="wall-muted">never</span>'
    return f'<span data-age="{unix:.0f}">{esc(human_age(now - unix))}</span>'


def hhmm(unix: float | None) -> str:
    text = format_unix(unix, seconds=False)
    return "—" if text is None else text[11:16]


def utc(unix: float | None) -> str:
    text = format_unix(unix)
    return "—" if text is None else f"{text} UTC"


# ----------------------------------------------------------------- fixed part
def header(model: WallModel) -> str:
    s = model.snapshot
    lights = model.lights()
    latest = s.freshness.latest_image_created_at if s else None
    now = model.now or (s.now if s else 0.0)
    return (
        '<header class="wall-header">'
        '<div class="wall-brand"><img src="/assets/logo.svg" alt="">'
        "<span>DSA-110 continuum pipeline</span></div>"
        f'<div class="wall-kpi" data-kpi="health"><span class="wall-label">Health</span>'
        f'{light(lights["health"], extra="wall-big")}</div>'
        f'<div class="wall-kpi" data-kpi="freshness"><span class="wall-label">Newest image'
        f'</span>{dot(lights["freshness"])}<span class="wall-value">{age(latest, now)}'
        "</span></div>"
        '<div class="wall-clock"><span data-clock>'
        f'{esc(format_unix(now, seconds=True) or "")}</span> UTC</div>'
        "</header>")


def banners(model: WallModel) -> str:
    out = []
    stale = model.stale()
    if stale is not None:
        state, text = stale
        out.append(f'<div class="wall-banner wall-{esc(state)}" data-stale>{esc(text)}</div>')
    for note in model.input_notes:
        out.append(f'<div class="wall-banner wall-note" data-note>{esc(note)}</div>')
    return "".join(out)


def newest_image(model: WallModel) -> str:
    s = model.snapshot
    image = s.latest if s else None
    if image is None:
        body = ('<div class="wall-empty">No image in the database yet.</div>' if s else
                '<div class="wall-empty">Reading the database…</div>')
        return f'<section class="wall-newest">{body}</section>'
    observed = ("observation time unknown" if image.mjd is None else
                mjd_to_datetime(image.mjd).strftime("observed %Y-%m-%d %H:%M UTC"))
    noise = ("noise unknown" if image.noise_jy is None
             else f"{image.noise_jy * 1e6:,.0f} µJy/beam")
    dr = "DR unknown" if image.dynamic_range is None else f"DR {image.dynamic_range:,.0f}"
    grade = image.qa_grade or "ungraded"
    colour = charts.GRADE_COLOURS.get(grade, charts.GRADE_COLOURS["unknown"])
    return (
        '<section class="wall-newest">'
        f'<img class="wall-newest-img" src="{THUMBNAIL.format(id=int(image.id))}'
        f'?size={LARGE_SIZE}" alt="Newest image {int(image.id)}">'
        '<div class="wall-caption">'
        f'<div><b>Image {int(image.id)}</b> · {esc(image.type)} · {esc(observed)}</div>'
        f'<div>{esc(noise)} · {esc(dr)} · <span class="wall-grade" '
        f'style="background:{colour}">{esc(grade)}</span></div>'
        "</div></section>")


def throughput_tile(model: WallModel) -> str:
    s = model.snapshot
    if s is None:
        return '<div class="wall-tile"></div>'
    per_hour = s.per_hour
    total = int(per_hour["images"].sum())
    last = int(per_hour["images"].iloc[-1]) if len(per_hour) else 0
    prev = int(per_hour["images"].iloc[-2]) if len(per_hour) > 1 else 0
    where = "" if s.window_is_live else " to the newest image"
    return (
        '<div class="wall-tile" data-tile="throughput">'
        f'<div class="wall-label">Images per hour, last {HOURS} h{where}</div>'
        f'<div class="wall-figure">{prev}<span class="wall-unit"> last full hour · '
        f"{last} this hour · {total} in {HOURS} h</span></div>"
        f"{charts.bars(per_hour, EXPECTED_PER_HOUR)}</div>")


def jobs_tile(model: WallModel) -> str:
    s = model.snapshot
    if s is None:
        return '<div class="wall-tile"></div>'
    state = model.lights()["jobs"]
    rows = []
    for job in s.failed.itertuples():
        ms = str(job.ms_path or "").rsplit("/", 1)[-1] or "—"
        rows.append(f'<li><span class="wall-muted">{esc(hhmm(job.created_at))}'
                    f'</span> {esc(job.type)} <span class="wall-muted">{esc(ms)}</span></li>')
    listed = (f'<ul class="wall-list">{"".join(rows)}</ul>' if rows else
              '<div class="wall-muted">No failed job.</div>')
    share = f" of {s.jobs_total:,}" if s.jobs_total else ""
    return (
        '<div class="wall-tile" data-tile="jobs">'
        f'<div class="wall-label">Failed jobs, last {JOB_HOURS} h</div>'
        f'<div class="wall-figure">{dot(state)}{s.jobs_failed:,}'
        f'<span class="wall-unit">{share}</span></div>{listed}</div>')


def qa_tile(model: WallModel) -> str:
    s = model.snapshot
    if s is None:
        return '<div class="wall-tile"></div>'
    poor, graded = model.poor_fraction()
    state = model.lights()["qa"]
    counts = " · ".join(f'<span style="color:{charts.GRADE_COLOURS.get(g, "#ccc")}">'
                        f"{esc(g)} {n:,}</span>" for g, n in sorted(
                            s.grades.items(), key=lambda kv: list(charts.GRADE_COLOURS)
                            .index(kv[0]) if kv[0] in charts.GRADE_COLOURS else 99))
    return (
        '<div class="wall-tile" data-tile="qa">'
        f'<div class="wall-label">Image QA, last {HOURS} h</div>'
        f'<div class="wall-figure">{dot(state)}{poor:,}<span class="wall-unit"> poor of '
        f"{graded:,} graded</span></div>{charts.grade_bar(s.grades)}"
        f'<div class="wall-small">{counts or "no images"}</div></div>')


# ------------------------------------------------------------ rotating panels
def mosaic_panel(model: WallModel) -> str:
    s = model.snapshot
    if s is None or not len(s.mosaic):
        return '<div class="wall-empty">No images yet.</div>'
    tiles = []
    for row in s.mosaic.itertuples():
        grade = getattr(row, "qa_grade", None) or "unknown"
        colour = charts.GRADE_COLOURS.get(grade, charts.GRADE_COLOURS["unknown"])
        tiles.append(
            '<figure class="wall-mosaic-tile">'
            f'<img src="{THUMBNAIL.format(id=int(row.id))}" alt="Image {int(row.id)}" '
            'loading="eager">'
            f'<figcaption><span class="wall-dot" style="background:{colour}"></span>'
            f'{esc(hhmm(row.created_at))}</figcaption></figure>')
    return f'<div class="wall-mosaic">{"".join(tiles)}</div>'


def qa_panel(model: WallModel) -> str:
    s = model.snapshot
    if s is None:
        return ""
    start, end = s.window_end - HOURS * 3600, s.window_end
    return (
        '<div class="wall-two">'
        + charts.series(s.qa_series, "rms_noise", start, end, unit_scale=1e6,
                        title="Noise (µJy/beam)")
        + charts.series(s.qa_series, "dynamic_range", start, end, log=True,
                        title="Dynamic range (log scale)")
        + "</div>"
        '<div class="wall-small wall-muted">Each dot an image, coloured by its grade; '
        "the line the running median.</div>")


def health_panel(model: WallModel) -> str:
    s = model.snapshot
    if s is None:
        return ""
    lights = model.lights()
    poor, graded = model.poor_fraction()
    rows = [(c.state, c.name, c.detail) for c in s.health.checks]
    rows.append((lights["jobs"], "Failed jobs",
                 f"{s.jobs_failed:,} of {s.jobs_total:,} in the last {JOB_HOURS} h"))
    rows.append((lights["qa"], "Poor images", f"{poor:,} of {graded:,} in the last {HOURS} h"))
    if model.error:
        rows.insert(0, (BAD, "Database", model.error))
    body = "".join(f"<tr><td>{dot(state)}<b>{esc(name)}</b></td><td>{esc(detail)}</td></tr>"
                   for state, name, detail in rows)
    dense = " wall-dense" if len(rows) > 11 else ""
    return (f'<table class="wall-table{dense}">{body}</table>'
            f'<div class="wall-small wall-muted">Checked {esc(utc(s.now))}. The health '
            "light is the worst of these.</div>")


def _by_stage(funnel: list[FunnelCount]) -> list[tuple[str, int, int]]:
    totals: dict[str | None, list[int]] = {}
    for row in funnel:
        entry = totals.setdefault(row.stage, [0, 0])
        entry[0] += row.count
        entry[1] += row.stuck
    ordered = sorted(totals.items(), key=lambda kv: stage_order(kv[0]))
    return [("(none)" if k is None else k, n, stuck) for k, (n, stuck) in ordered]


def funnel_panel(model: WallModel) -> str:
    s = model.snapshot
    if s is None:
        return ""
    stages = _by_stage(s.funnel)
    if not stages:
        return '<div class="wall-empty">No measurement set registered.</div>'
    peak = max(n for _, n, _ in stages) or 1
    rows = []
    for stage, n, stuck in stages:
        width = 100 * n / peak
        stuck_text = (f'<span class="wall-stuck">{stuck:,} stuck</span>' if stuck else "")
        rows.append(f'<div class="wall-stage">{esc(stage)}</div>'
                    f'<div class="wall-bar-cell"><div class="wall-bar" '
                    f'style="width:{width:.1f}%"></div></div>'
                    f'<div class="wall-count">{n:,} {stuck_text}</div>')
    return (f'<div class="wall-funnel">{"".join(rows)}</div>'
            f'<div class="wall-small wall-muted">Measurement sets per stage now; stuck: '
            f"failed, or waiting longer than {model.stuck_hours:g} h.</div>")


PANEL_HTML = {"mosaic": mosaic_panel, "qa": qa_panel, "health": health_panel,
              "funnel": funnel_panel}


def panels(model: WallModel) -> str:
    names = model.panels
    dots = "".join(f'<span class="wall-tab" data-tab="{esc(n)}">{esc(PANEL_TITLES[n])}</span>'
                   for n in names)
    sections = "".join(
        f'<section class="wall-panel" data-panel="{esc(n)}">{PANEL_HTML[n](model)}</section>'
        for n in names)
    return (f'<div class="wall-rotor"><div class="wall-tabs">{dots}</div>'
            f'<div class="wall-panels">{sections}</div></div>')


def wall_html(model: WallModel) -> str:
    """The whole wall, as the browser shows it."""
    return (
        f"{header(model)}{banners(model)}"
        '<main class="wall-main">'
        f"{newest_image(model)}"
        '<div class="wall-right">'
        f'<div class="wall-tiles">{throughput_tile(model)}{jobs_tile(model)}'
        f"{qa_tile(model)}</div>"
        f"{panels(model)}</div></main>")

