"""The pager above a table of one page of rows ("Jobs 1–50 of 1,234", Previous, "Page 1
of 25", Next), bound to a view-model with ``PagedTable``'s ``page``, ``page_count``,
``go_to_page`` and a ``range_text``."""

from __future__ import annotations

import html

import panel as pn


class TablePager:
    def __init__(self, model, range_css: str):
        self.model = model
        self.prev = pn.widgets.Button(label="‹ Previous", width=95, margin=(4, 2))
        self.next = pn.widgets.Button(label="Next ›", width=80, margin=(4, 2))
        self.prev.on_click(lambda _e: model.go_to_page(model.page - 1))
        self.next.on_click(lambda _e: model.go_to_page(model.page + 1))
        self.range = pn.pane.HTML("Loading…", margin=(10, 8, 0, 8),
                                  styles={"font-weight": "600"}, css_classes=[range_css])
        self.page_of = pn.pane.HTML("", margin=(8, 8), align="center")
        self.layout = pn.Row(self.range, pn.Spacer(width=12), self.prev, self.page_of,
                             self.next, margin=(0, 0, 4, 0))

    def render(self) -> None:
        m = self.model
        self.range.object = html.escape(m.range_text)
        self.page_of.object = f"Page {m.page:,} of {m.page_count:,}"
        self.prev.disabled = m.page <= 1
        self.next.disabled = m.page >= m.page_count
