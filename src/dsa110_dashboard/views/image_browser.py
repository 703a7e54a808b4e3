"""/images: filters, a one-page table (or thumbnail grid), pager, CSV export, URL state.

The table holds the current page only; sorting, paging and filtering are done in SQL by
the view-model. A click on a column header asks the model to sort by that column (the
same column again flips the order); Tabulator's own sort is reset at once, so what is
shown is always the database's order.

The search lives in the URL (``?type=5min&grade=poor&page=3&view=grid``) in the same
format as the CSV export (``queries.image_query``); the page keeps it there with
``views.urlstate`` (dashboards/images.py), as every page does, and this view shows the
notes about values of a link that were ignored.
"""

from __future__ import annotations

import html

import panel as pn
import param
from panel.viewable import Viewer

from ..queries.image_query import PAGE_SIZES
from ..viewmodels.image_browser import QUERY_PARAMS, ImageBrowserModel
from .background import NewestOnly, is_served
from .image_filters import ImageFiltersView
from .image_grid import GRID_CSS, grid_html
from .image_table import (
    COLUMNS,
    CONFIGURATION,
    HTML_COLUMNS,
    LINK_COLOUR,
    TABLE_CSS,
    WIDTHS,
    display_frame,
    sort_titles,
)
from .shell import table_theme
from .urlstate import notes_alert

SORT_LABELS = {"Observation time": "mjd", "Created": "created_at", "ID": "id", "Type": "type",
               "Field": "field_name", "RA": "center_ra_deg", "Dec": "center_dec_deg",
               "Noise": "noise_jy", "Dynamic range": "dynamic_range", "QA grade": "qa_grade",
               "Path": "path"}
SPINNER_DELAY = 0.25  # seconds


LINK_STYLE = f"a {{ color: {LINK_COLOUR}; font-weight: 600; }}"


class ImageBrowserView(Viewer):
    model = param.ClassSelector(class_=ImageBrowserModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._ready = False  # no fetch before the page has loaded
        self._served = is_served()
        self.filters = ImageFiltersView(model=m)
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width")
        self.range = pn.pane.HTML("Loading…", margin=(12, 8, 0, 8),
                                  styles={"font-weight": "600"})
        self.view_mode = pn.widgets.RadioButtonGroup.from_param(
            m.param.view, options={"Table": "table", "Grid": "grid"}, label="",
            margin=(8, 8), width=150)
        self.sort = pn.widgets.Select.from_param(m.param.sort, options=SORT_LABELS,
                                                 label="Sort by", width=160)
        self.order = pn.widgets.RadioButtonGroup.from_param(
            m.param.order, options={"↓ desc": "desc", "↑ asc": "asc"}, label="",
            width=130, margin=(25, 8, 8, 8))
        self.size = pn.widgets.Select(label="Rows per page", width=110,
                                      options=self._size_options(), value=m.size)
        self.size.param.watch(lambda e: setattr(m, "size", int(e.new)), "value")
        self.first = pn.widgets.Button(label="« First", width=75, margin=(4, 2))
        self.prev = pn.widgets.Button(label="‹ Previous", width=95, margin=(4, 2))
        self.next = pn.widgets.Button(label="Next ›", width=80, margin=(4, 2))
        self.last = pn.widgets.Button(label="Last »", width=75, margin=(4, 2))
        self.first.on_click(lambda _e: m.go_to_page(1))
        self.prev.on_click(lambda _e: m.previous_page())
        self.next.on_click(lambda _e: m.next_page())
        self.last.on_click(lambda _e: m.go_to_page(m.page_count))
        self.page_input = pn.widgets.IntInput(value=m.page, start=1, width=80, margin=(4, 4),
                                              css_classes=["dsa-page-input"])
        self.page_input.param.watch(self._on_page_input, "value")
        self.page_of = pn.pane.HTML("", margin=(4, 4), align="center")
        self.export = pn.pane.HTML("", margin=(30, 8, 0, 8), stylesheets=[LINK_STYLE])
        self.table = pn.widgets.Tabulator(
            display_frame(m.rows), disabled=True, show_index=False, selectable=False,
            formatters={c: {"type": "html"} for c in HTML_COLUMNS},
            sizing_mode="stretch_width", layout="fit_columns", widths=WIDTHS,
            titles=sort_titles(m.sort, m.order), stylesheets=[TABLE_CSS],
            header_align="left", min_height=200, theme=table_theme(),
            css_classes=["dsa-images-table"], configuration=CONFIGURATION)
        self.table.param.watch(self._on_sorters, "sorters")
        self.grid = pn.pane.HTML("", sizing_mode="stretch_width", visible=False,
                                 stylesheets=[GRID_CSS], min_height=200)
        self.timing = pn.pane.HTML("", margin=(0, 8), styles={"font-size": "0.8em",
                                                               "opacity": "0.7"})
        toolbar = pn.FlexBox(self.view_mode, self.sort, self.order, self.size, self.export,
                             flex_wrap="wrap", align_items="flex-start",
                             sizing_mode="stretch_width", margin=0)
        # The pager on a line of its own, never wrapped (it fits at 1280 px beside the
        # filters; the controls above may wrap on a narrow screen).
        pager = pn.Row(self.first, self.prev,
                       pn.pane.HTML("Page", margin=(4, 2, 4, 8), align="center"),
                       self.page_input, self.page_of, self.next, self.last,
                       margin=(0, 0, 4, 0), css_classes=["dsa-pager"])
        self.notes = notes_alert(m, "dsa-images-notes",
                                 title="Invalid filter values in the link were ignored")
        self._results = pn.Column(self.notes, self.alert, pn.Row(self.range, self.timing, margin=0),
                                  toolbar, pager, self.table, self.grid,
                                  sizing_mode="stretch_width", margin=0)
        self._layout = pn.Row(self.filters, self._results, sizing_mode="stretch_width",
                              margin=0)
        # A page change, a filter typed: loads overlap, only the newest is shown, the
        # range line with its rows in one message; the loading indicator only when a
        # load takes longer than SPINNER_DELAY (a quick page change would only flicker).
        self._answered = True  # the last result shown answered the query it was for
        self._loads = NewestOnly(lambda: m.fetch(m.query), self._show,
                                 busy=[self.table, self.grid], busy_delay=SPINNER_DELAY)
        m.param.watch(self._render_rows, ["rows", "view"])
        m.param.watch(self._render, ["rows", "total", "error", "page", "size", "seconds"])
        m.param.watch(self._on_query, list(QUERY_PARAMS))
        self._render_rows()
        self._render()

    # ---------------------------------------------------------------- loading
    def refresh(self) -> None:
        """Blocking: fetch the current query and show it (see ``NewestOnly``)."""
        self._loads.run()

    def _on_query(self, *events) -> None:
        if not self._ready:
            return
        if all(e.name == "view" for e in events):
            return
        self._loads.schedule()

    # -------------------------------------------------------------- events
    def _on_sorters(self, event) -> None:
        sorters = event.new or []
        if not sorters:
            return
        key = COLUMNS.get(sorters[0].get("field"))
        self.table.sorters = []  # the database's order is the one shown
        if key:
            self.model.sort_by(key)

    def _on_page_input(self, event) -> None:
        if event.new is not None and event.new != self.model.page:
            self.model.go_to_page(event.new)
        if self.page_input.value != self.model.page:
            # A page past the end (9 of 3) or an empty box shows the page the table
            # shows; set on the next tick: Panel does not send a widget back the value
            # it is still receiving.
            pn.state.execute(lambda: setattr(self.page_input, "value", self.model.page),
                             schedule=True)

    def _size_options(self) -> list[int]:
        return sorted(set(PAGE_SIZES) | {self.model.size})

    # -------------------------------------------------------------- render
    def _render_rows(self, *_events) -> None:
        """The rows, only when they (or the mode) change: a page change renders once."""
        m = self.model
        grid = m.view == "grid"
        if grid:
            self.grid.object = grid_html(m.rows)
        else:
            self.table.param.update(value=display_frame(m.rows),
                                    titles=sort_titles(m.sort, m.order))
        self.table.visible = not grid
        self.grid.visible = grid

    def _render(self, *events) -> None:
        m = self.model
        # The range line describes the rows on screen: a page or size change alone (its
        # fetch still running) must not announce "Rows 51–93" over the old page's rows.
        if not events or any(e.name not in ("page", "size") for e in events):
            self.range.object = html.escape(m.range_text)
        self.timing.object = (f"query {m.seconds * 1e3:.0f} ms" if m.seconds is not None
                              else "")
        if m.error:
            kind = "Invalid filter" if m.error_parameter else "Could not load images"
            # Messages usually begin with the parameter's name ("dec_min: 'north' is not
            # a number"): name it once.
            named = m.error_parameter and not m.error.startswith(f"{m.error_parameter}:")
            name = f" (<code>{html.escape(m.error_parameter)}</code>)" if named else ""
            self.alert.object = f"**{kind}**{name}: {html.escape(m.error)}"
            self.alert.alert_type = "warning" if m.error_parameter else "danger"
        self.alert.visible = bool(m.error)
        pages = m.page_count
        # No upper bound on the box: the browser would keep a page past it to itself;
        # the model takes it to the last page and the box follows (_on_page_input).
        self.page_input.value = m.page
        self.page_of.object = f"of {pages:,}"
        self.first.disabled = self.prev.disabled = m.page <= 1
        self.next.disabled = self.last.disabled = m.page >= pages
        if self.size.value != m.size:
            self.size.param.update(options=self._size_options(), value=m.size)
        if m.total:
            self.export.object = (
                f'<a href="{html.escape(m.export_url)}" download '
                f'title="every row matching the filters, not only this page">'
                f"Export CSV ({m.total:,} rows)</a>")
        else:
            self.export.object = ""

    def __panel__(self):
        if self._served:
            # Started with the page (decision 0036): the query is known from the URL.
            self._loads.early(self._first_shown)
        else:  # a notebook: load now, then follow the model
            self.model.refresh()
            self._ready = True
        return self._layout

    def _show(self, result) -> None:
        self._answered = self.model.apply(result)

    def _first_shown(self) -> None:
        """After the first result (on the event loop): changes fetch from now on, and
        the first one again if the model moved on meanwhile (a link's page past the
        end, corrected while the result was shown)."""
        self._ready = True
        if not self._answered:
            self._loads.schedule()
