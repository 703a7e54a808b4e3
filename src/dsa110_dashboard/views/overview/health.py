"""Pipeline health: one traffic light from the database, freshness, failed jobs and
poor images, with each part and its thresholds."""

from __future__ import annotations

from ...viewmodels.overview import utc_text
from .base import OverviewCard
from .style import LIGHT_WORDS, dot, esc, html_pane, light


class HealthCard(OverviewCard):
    title = "Pipeline health"
    flex = "1 1 340px"
    watches = ("snapshot", "error", "now")

    def body(self) -> list:
        self._html = html_pane()
        return [self._html]

    def render(self) -> None:
        overall, parts = self.model.health()
        rows = "".join(
            f'<tr title="{esc(p.rule)}"><td style="white-space: nowrap">{dot(p.state)}'
            f"<b>{esc(p.name)}</b></td><td>{esc(p.detail)}</td></tr>"
            for p in parts)
        rules = "; ".join(f"{p.name.lower()}: {p.rule}" for p in parts
                          if p.name != "Database")
        error = (f'<div class="ov-error" style="margin-top: 6px">Database unavailable: '
                 f"{esc(self.model.error)} Showing figures from "
                 f"{esc(utc_text(self.model.loaded_at, seconds=True))}.</div>"
                 if self.model.error else "")
        self.set_html(self._html, (
            f'<div class="ov-health">{light(overall, LIGHT_WORDS[overall], None, "ov-big-light")}'
            "</div>"
            f'<table class="ov-table" style="margin-top: 8px">{rows}</table>{error}'
            f'<div class="ov-small ov-muted" style="margin-top: 6px">Thresholds: {esc(rules)}.'
            " The overall light is the worst of the parts.</div>"))
