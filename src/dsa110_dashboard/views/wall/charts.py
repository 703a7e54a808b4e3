"""Small SVG charts for the wall display: drawn on the server as text, scaled by the
browser to any screen (decision 0061). No interaction: nobody touches the wall."""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

#: Colours that read on the wall's dark background.
GRADE_COLOURS = {"excellent": "#43a047", "good": "#7cb342", "marginal": "#f9a825",
                 "poor": "#e53935", "unknown": "#78909c"}
AXIS = "#9aa7b4"
BAR = "#f2a541"


def _esc(value) -> str:
    return html.escape(str(value))


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (f'<svg class="wall-chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{_esc(label)}" preserveAspectRatio="xMidYMid meet">{body}</svg>')


def bars(per_hour: pd.DataFrame, expected: float | None = None) -> str:
    """Images per hour: one bar per clock hour, the hour under every third bar, and the
    expected rate as a dashed line."""
    width, height, left, bottom, top = 600, 210, 44, 34, 22
    counts = [int(n) for n in per_hour["images"]] if len(per_hour) else []
    labels = (list(per_hour["hour_start"].dt.strftime("%H")) if len(per_hour) else [])
    peak = max([*counts, expected or 0, 1]) * 1.1
    plot_w, plot_h = width - left - 6, height - bottom - top
    step = plot_w / max(len(counts), 1)
    parts = []
    for i, (n, label) in enumerate(zip(counts, labels)):
        h = plot_h * n / peak
        x = left + i * step
        parts.append(f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{step * 0.8:.1f}" height="{h:.1f}" fill="{BAR}"/>')
        if n:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
                         f'font-size="20" text-anchor="middle" fill="#e8edf2">{n}</text>')
        if (len(counts) - 1 - i) % 3 == 0:  # the current hour and every third before
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 6}" font-size="21" '
                         f'text-anchor="middle" fill="{AXIS}">{_esc(label)}h</text>')
    if expected:
        y = top + plot_h - plot_h * expected / peak
        parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{AXIS}" stroke-width="2" stroke-dasharray="6 5"/>')
    parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="{AXIS}"/>')
    parts.append(f'<text x="4" y="{top + 6}" font-size="20" fill="{AXIS}">'
                 f'{math.ceil(peak)}</text>')
    return _svg(width, height, "".join(parts), "images per hour")


def grade_bar(grades: dict[str, int]) -> str:
    """One horizontal bar split by grade, in grade order."""
    width, height = 600, 40
    total = sum(grades.values())
    if not total:
        return _svg(width, height, f'<rect width="{width}" height="{height}" '
                    f'fill="{GRADE_COLOURS["unknown"]}" opacity="0.4"/>', "no images graded")
    x, parts = 0.0, []
    order = [g for g in GRADE_COLOURS if g in grades] + \
        [g for g in grades if g not in GRADE_COLOURS]
    for grade in order:
        w = width * grades[grade] / total
        parts.append(f'<rect x="{x:.1f}" width="{w:.1f}" height="{height}" '
                     f'fill="{GRADE_COLOURS.get(grade, GRADE_COLOURS["unknown"])}"/>')
        x += w
    return _svg(width, height, "".join(parts), "image grades")


def series(frame: pd.DataFrame, column: str, start: float, end: float, *,
           title: str, unit_scale: float = 1.0, log: bool = False) -> str:
    """A time series of ``column`` (times in ``timestamp``, Unix seconds) between
    ``start`` and ``end``: one dot per image coloured by its grade, the running median
    as a line, hours on the axis."""
    width, height, left, bottom, top = 600, 430, 96, 44, 50
    plot_w, plot_h = width - left - 12, height - bottom - top
    parts = [f'<text x="{left}" y="30" font-size="28" font-weight="600" '
             f'fill="#e8edf2">{_esc(title)}</text>']
    data = frame[["timestamp", column, "overall_quality"]].dropna(
        subset=["timestamp", column]) if len(frame) else frame
    values = data[column].astype(float).to_numpy() * unit_scale if len(data) else np.array([])
    if log:
        keep = values > 0
        data, values = data[keep], np.log10(values[keep])
    if not len(values):
        parts.append(f'<text x="{width / 2}" y="{height / 2}" font-size="26" '
                     f'text-anchor="middle" fill="{AXIS}">no measurements in these hours'
                     "</text>")
        return _svg(width, height, "".join(parts), title)
    low, high = float(np.nanpercentile(values, 1)), float(np.nanpercentile(values, 99))
    if high <= low:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    span = max(end - start, 1.0)

    def xy(t: float, v: float) -> tuple[float, float]:
        v = min(max(v, low), high)
        return (left + plot_w * (t - start) / span,
                top + plot_h - plot_h * (v - low) / (high - low))

    times = data["timestamp"].astype(float).to_numpy()
    grades = data["overall_quality"].fillna("unknown").astype(str).to_numpy()
    for t, v, g in zip(times, values, grades):
        x, y = xy(t, v)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" '
                     f'fill="{GRADE_COLOURS.get(g, GRADE_COLOURS["unknown"])}"/>')
    if len(values) >= 5:
        order = np.argsort(times)
        median = pd.Series(values[order]).rolling(9, center=True, min_periods=3).median()
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in
                          (xy(t, v) for t, v in zip(times[order], median) if not np.isnan(v)))
        parts.append(f'<polyline points="{points}" fill="none" stroke="#e8edf2" '
                     'stroke-width="3.5" opacity="0.85"/>')
    for v in np.linspace(low + pad, high - pad, 3):
        _, y = xy(start, v)
        shown = 10 ** v if log else v
        parts.append(f'<text x="{left - 10}" y="{y + 8:.1f}" font-size="22" '
                     f'text-anchor="end" fill="{AXIS}">{shown:,.0f}</text>')
        parts.append(f'<line x1="{left}" x2="{width - 12}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{AXIS}" opacity="0.2"/>')
    first_hour = math.ceil(start / 3600) * 3600
    for t in range(int(first_hour), int(end) + 1, 3 * 3600):
        x, _ = xy(t, low)
        label = pd.Timestamp(t, unit="s", tz="UTC").strftime("%H:00")
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" font-size="22" '
                     f'text-anchor="middle" fill="{AXIS}">{label}</text>')
    parts.append(f'<line x1="{left}" x2="{width - 12}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="{AXIS}"/>')
    return _svg(width, height, "".join(parts), title)
