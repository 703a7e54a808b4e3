"""QA summary: image grades in the 24-hour window, per kind of grade, with lights."""

from __future__ import annotations

from ...science.qa import DERIVED_FROM_DR, DR_EXCELLENT, DR_GOOD, DR_MARGINAL, MEASURED
from .base import HtmlCard
from .style import GRADE_LIGHT, dot, esc

KIND_TEXT = {
    MEASURED: ("Measured", "image_qa.overall_quality, written by the pipeline's QA step"),
    DERIVED_FROM_DR: (
        "Derived from dynamic range",
        f"images with no QA row, graded from images.dynamic_range: > {DR_EXCELLENT:g} "
        f"excellent, > {DR_GOOD:g} good, > {DR_MARGINAL:g} marginal, else poor"),
}


class QASummaryCard(HtmlCard):
    title = "Image QA"
    flex = "1 1 520px"

    def html(self, snapshot) -> str:
        table = self.model.grade_table()
        window = esc(self.model.window_text())
        if not table:
            return f'<div class="ov-muted">No images in {window}.</div>'
        grades = list(table[0][1])
        for _, row, _ in table[1:]:
            grades += [g for g in row if g not in grades]
        head = "".join(f'<th class="num">{dot(GRADE_LIGHT.get(g, "unknown"))}{esc(g)}</th>'
                       for g in grades)
        rows = []
        for kind, row, total in table:
            label, tip = KIND_TEXT.get(kind, (kind, kind))
            cells = "".join(
                f'<td class="num" data-grade="{esc(g)}">{row.get(g, 0):,}</td>'
                for g in grades)
            rows.append(f'<tr title="{esc(tip)}"><td><b>{esc(label)}</b></td>{cells}'
                        f'<td class="num">{total:,}</td></tr>')
        notes = "".join(f"<li><b>{esc(KIND_TEXT.get(k, (k, k))[0])}</b>: "
                        f"{esc(KIND_TEXT.get(k, (k, k))[1])}</li>" for k, _, _ in table)
        return (
            f'<div class="ov-small ov-muted">Images made in {window}; one grade each '
            "(an image's latest QA row when it has one).</div>"
            f'<table class="ov-table ov-qa"><tr><th>Kind of grade</th>{head}'
            f'<th class="num">total</th></tr>{"".join(rows)}</table>'
            f'<ul class="ov-small ov-muted" style="margin: 6px 0 0 0; padding-left: 1.2em">'
            f"{notes}</ul>")
