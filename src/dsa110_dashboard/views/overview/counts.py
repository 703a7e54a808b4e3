"""Counts: measurement sets by stage, images by type, sources, photometry, jobs by status;
estimated figures carry a marker whose tooltip says how they were estimated."""

from __future__ import annotations

from ...repositories.stats import Count, GroupedCount
from ...viewmodels.overview import JOB_STATUS_ORDER, STAGE_ORDER, ordered, utc_text
from .base import HtmlCard
from .style import esc, estimated, number


def _stat(label: str, count: Count) -> str:
    marker = "" if count.exact else estimated(count.method)
    return (f'<div><div class="ov-stat-label">{esc(label)}</div>'
            f'<div class="ov-stat" title="{esc(count.method)}">'
            f"{number(count.value, count.exact)}{marker}</div></div>")


def _breakdown(label: str, grouped: GroupedCount, order: tuple[str, ...]) -> str:
    head = (f'<table class="ov-table"><tr><th>{esc(label)}</th>'
            f'<th class="num">rows</th></tr>')
    exact = grouped.total.exact and grouped.by_method.startswith("exact")
    if not grouped.by:
        reason = grouped.by_method or "empty"
        return head + f'<tr><td colspan="2" class="ov-muted">{esc(reason)}</td></tr></table>'
    rows = "".join(
        f'<tr><td>{esc(key)}</td><td class="num">{number(value, exact)}</td></tr>'
        for key, value in ordered(grouped.by, order))
    note = "" if exact else (f'<tr><td colspan="2">{estimated(grouped.by_method)}'
                             "</td></tr>")
    return head + rows + note + "</table>"


class CountsCard(HtmlCard):
    title = "Counts"
    flex = "2 1 640px"
    waiting = "Counting…"

    def html(self, snapshot) -> str:
        c = snapshot.counts
        stats = "".join([
            _stat("Measurement sets", c.measurement_sets.total),
            _stat("Images", c.images.total),
            _stat("Sources", c.sources),
            _stat("Photometry points", c.photometry),
            _stat("Jobs", c.jobs.total),
        ])
        tables = "".join(
            f'<div style="flex: 1 1 180px">{t}</div>' for t in (
                _breakdown("MS by stage", c.measurement_sets, STAGE_ORDER),
                _breakdown("Images by type", c.images, ()),
                _breakdown("Jobs by status", c.jobs, JOB_STATUS_ORDER)))
        footer = (f'<div class="ov-small ov-muted" style="margin-top: 6px">'
                  f"Counted {esc(utc_text(c.computed_at, seconds=True))} in "
                  f"{c.duration_ms:,.0f} ms; reused for up to "
                  f"{self.model.stats.cache_seconds:.0f} s. "
                  + ("All figures exact." if c.all_exact else
                     "Tables too big to count on every visit are estimated "
                     "(marked; hover for the method).") + "</div>")
        return (f'<div class="ov-stats">{stats}</div>'
                                  f'<div class="ov-row" style="margin-top: 10px">{tables}'
                                  f"</div>{footer}")
