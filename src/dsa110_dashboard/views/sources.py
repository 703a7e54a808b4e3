"""The sources search (name, cone, statistic bounds; one page from SQL) and the ESE list."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from ..science.numbers import format_number
from ..viewmodels.sources import (
    FILTERS,
    SORTS,
    EseCandidatesModel,
    SourceSearchModel,
    cone_text,
    source_url,
)
from .background import NewestOnly, is_served
from .job_format import JOBS_CSS, e, table
from .source_detail import LINK_CSS
from .table_pager import TablePager
from .urlstate import notes_alert, plain

SORT_LABELS = {"relevance": "Default (nearest / name / η)", "eta": "η", "v": "V",
               "chi2": "χ²ν", "sigma": "σ deviation", "epochs": "Epochs",
               "mean": "Mean flux", "nvss": "NVSS flux", "name": "Name", "ra": "RA",
               "dec": "Dec", "last": "Last MJD", "sep": "Separation (cone)"}
TABLE_TITLES = {"source": "Source", "ra_deg": "RA (deg)", "dec_deg": "Dec (deg)",
                "sep_arcsec": "Sep (arcsec)", "nvss_flux_mjy": "NVSS (mJy)",
                "n_epochs": "Epochs", "mean_flux_mjy": "Mean (mJy)", "eta_metric": "η",
                "v": "V", "chi2_nu": "χ²ν", "sigma_deviation": "σ dev",
                "last_mjd": "Last MJD", "ese_status": "ESE"}
#: Each number column's format (``format``'s spec). MJDs are written without a thousands
#: separator (60967.583, never 60,967.583); other numbers keep it.
NUMBER_FORMATS = {"ra_deg": ".4f", "dec_deg": ".4f", "sep_arcsec": ",.1f",
                  "nvss_flux_mjy": ",.1f", "n_epochs": ",.0f", "mean_flux_mjy": ",.2f",
                  "eta_metric": ",.3f", "v": ",.3f", "chi2_nu": ",.3f",
                  "sigma_deviation": ",.2f", "last_mjd": ".3f"}
ETA_TIP = ("η and χ²ν about the weighted mean are the same number; χ²ν gets its own "
           "column only where stored values differ")
#: The results' box: as tall as the Tabulator it replaced, its header kept in view
#: over the page's own background (Panel's variable, so both themes).
SEARCH_TABLE_HEIGHT = 520
SEARCH_TABLE_CSS = f"""
.dsa-search-scroll {{ max-height: {SEARCH_TABLE_HEIGHT}px; overflow-y: auto; }}
.dsa-search-scroll table.dsa-jobs th {{ position: sticky; top: 0; z-index: 1;
  background: var(--panel-background-color, #fff); }}
.dsa-search-scroll td.dsa-num {{ font-variant-numeric: tabular-nums; }}
"""


def link(source_id: str) -> str:
    return (f'<a class="dsa-source-link" href="{html.escape(source_url(source_id))}">'
            f"{html.escape(source_id)}</a>")


def linked_frame(rows: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """``cols`` of ``rows`` for a table: ``source`` as a link to the source page, a
    column the rows lack as empty, missing values blank."""
    if rows.empty:
        return pd.DataFrame(columns=cols)
    out = rows.copy()
    out["source"] = [link(s) for s in out["source_id"]]
    for col in cols:
        if col not in out:
            out[col] = None
    return _blank_missing(out[cols])


#: The η column's title when χ²ν is the same number on every row (decision 0018).
ETA_CHI2_TITLE = "η = χ²ν"


def eta_is_chi2(rows: pd.DataFrame) -> bool:
    """Whether η and χ²ν agree on every row: about the weighted mean they are the same
    number, and then the table shows it once."""
    if rows.empty or "chi2_nu" not in rows or "eta_metric" not in rows:
        return True
    eta = pd.to_numeric(rows["eta_metric"], errors="coerce").to_numpy(float)
    chi2 = pd.to_numeric(rows["chi2_nu"], errors="coerce").to_numpy(float)
    return bool(np.allclose(eta, chi2, rtol=1e-6, atol=1e-12, equal_nan=True))


def table_frame(rows: pd.DataFrame, cone: bool) -> pd.DataFrame:
    chi2 = [] if eta_is_chi2(rows) else ["chi2_nu"]
    return linked_frame(rows, [
        "source", "ra_deg", "dec_deg", *(["sep_arcsec"] if cone else []), "nvss_flux_mjy",
        "n_epochs", "mean_flux_mjy", "eta_metric", "v", *chi2, "sigma_deviation",
        "last_mjd", "ese_status"])


def table_titles(rows: pd.DataFrame) -> dict[str, str]:
    return {**TABLE_TITLES, "eta_metric": ETA_CHI2_TITLE if eta_is_chi2(rows) else "η"}


def search_table_html(rows: pd.DataFrame, cone: bool) -> str:
    """One page of results as a plain HTML table (the pages' ``job_format.table``: a
    browser draws it far faster than a Tabulator, decision 0088), the source linked to
    its page, missing statistics blank; empty without rows (the status line says so)."""
    if rows.empty:
        return ""
    frame = table_frame(rows, cone)
    titles = table_titles(rows)
    columns = [(titles[c], "dsa-num" if c in NUMBER_FORMATS else "",
                ETA_TIP if c == "eta_metric" else None) for c in frame.columns]
    body = [[cell if c == "source" else
             format_number(cell, NUMBER_FORMATS[c], missing="") if c in NUMBER_FORMATS
             else e(cell) for c, cell in zip(frame.columns, row)]
            for row in frame.itertuples(index=False)]
    return f"<div class='dsa-search-scroll'>{table(columns, body, '')}</div>"


def _blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """NULL statistics show as empty cells, not 'NaN'."""
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


class SourceSearchView(Viewer):
    model = param.ClassSelector(class_=SourceSearchModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._name = pn.widgets.TextInput.from_param(
            m.param.name_query, label="Name starts with", placeholder="e.g. J0925 or NVSS J09",
            width=220)
        self._position = pn.widgets.TextInput.from_param(
            m.param.position, label="Cone centre (RA Dec)",
            placeholder="12:34:56.7 +42:03:12 or 188.736 42.053", width=280)
        self._radius = pn.widgets.TextInput.from_param(
            m.param.radius, label="Radius", placeholder='30 arcsec, 2 arcmin, 0.5 deg, 30"',
            width=150)
        self._sort = pn.widgets.Select(label="Sort by", width=190,
                                       options={SORT_LABELS[k]: k for k in SORTS})
        self._sort.link(m, value="sort", bidirectional=True)
        self._sort.value = m.sort
        # Shows the order the results are in, also for the default sort (whose order
        # depends on the search); a click makes it the chosen order.
        self._desc = pn.widgets.Checkbox(label="Descending", align="end",
                                         value=m.effective_descending(),
                                         css_classes=["dsa-descending"])
        self._desc.param.watch(self._on_descending, "value")
        m.param.watch(self._show_descending, ["descending", "sort", "name_query",
                                              "position"])
        self._clear = pn.widgets.Button(label="Clear search", align="end")
        self._clear.on_click(lambda _e: m.reset())
        self._filters = pn.Card(title="Filters on statistics",
                                collapsed=not any(getattr(m, f"{p}_{e}") is not None
                                                  for p, _, _ in FILTERS
                                                  for e in ("min", "max")),
                                sizing_mode="stretch_width")
        # The bounds' inputs (a dozen widgets) are made when the card first opens: a
        # collapsed card's contents still cost the page's first render their models.
        if self._filters.collapsed:
            self._filters.param.watch(self._open_filters, ["collapsed"])
        else:
            self._filters[:] = [self._bound_inputs()]
        self._alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                    sizing_mode="stretch_width", disable_math=True,
                                    css_classes=["dsa-search-error"])
        self._notes = notes_alert(m, "dsa-search-notes")
        self._table = pn.pane.HTML(
            "", sizing_mode="stretch_width", margin=(0, 5), visible=False,
            css_classes=["dsa-search-table"],
            stylesheets=[JOBS_CSS, SEARCH_TABLE_CSS, *LINK_CSS])
        # Always there and as tall as a page of rows: the spinner of a new search has a
        # place to show, and the plot below does not jump as results come and go.
        self._holder = pn.Column(self._table, sizing_mode="stretch_width",
                                 min_height=SEARCH_TABLE_HEIGHT)
        self._prev = pn.widgets.Button(label="← Previous", width=110)
        self._next = pn.widgets.Button(label="Next →", width=110)
        self._prev.on_click(lambda _e: self._turn(-1))
        self._next.on_click(lambda _e: self._turn(+1))
        self._status = pn.pane.Markdown("Searching…", margin=(0, 10), disable_math=True,
                                        css_classes=["dsa-search-status"])
        self._layout = pn.Column(
            pn.Row(self._name, self._position, self._radius, self._sort, self._desc,
                   self._clear, sizing_mode="stretch_width"),
            self._filters, self._notes, self._alert,
            pn.Row(self._prev, self._next, self._status), self._holder,
            sizing_mode="stretch_width")
        # Searches overlap (typing, paging): only the newest one's result is shown, in
        # one message (the status line must not announce rows the table lacks yet).
        self._loads = NewestOnly(m.fetch, m.apply, busy=[self._holder])
        m.param.watch(self._on_query, [q for q in m.QUERY if q != "page"])
        m.param.watch(self._on_page, ["page"])
        m.param.watch(self._render, ["rows", "total", "error"])

    def _bound_inputs(self) -> pn.FlexBox:
        m = self.model
        bounds = []
        for prefix, _key, label in FILTERS:
            lo = pn.widgets.FloatInput.from_param(getattr(m.param, f"{prefix}_min"),
                                                  label=f"{label} ≥", width=120)
            hi = pn.widgets.FloatInput.from_param(getattr(m.param, f"{prefix}_max"),
                                                  label=f"{label} ≤", width=120)
            bounds.append(pn.Column(lo, hi, margin=(0, 4)))
        return pn.FlexBox(*bounds)

    def _open_filters(self, event) -> None:
        if not event.new and not len(self._filters):
            self._filters[:] = [self._bound_inputs()]

    # ------------------------------------------------------------------ work
    def refresh(self) -> None:
        """Blocking: search now and show the result (see ``NewestOnly``)."""
        self._loads.run()

    def _schedule(self) -> None:
        self._loads.schedule()

    def _on_query(self, *_events) -> None:
        if self.model.page != 1:
            self.model.page = 1  # triggers _on_page
        else:
            self._schedule()

    def _on_page(self, *_events) -> None:
        if self.model.page == self.model.shown_page:
            return  # e.g. the model moved a page past the end to the one it fetched
        self._schedule()

    def _on_descending(self, event) -> None:
        if event.new != self.model.effective_descending():
            self.model.descending = event.new

    def _show_descending(self, *_events) -> None:
        self._desc.value = self.model.effective_descending()

    def _turn(self, step: int) -> None:
        m = self.model
        m.page = min(max(1, m.page + step), m.pages)

    def _render(self, *_events) -> None:
        m = self.model
        # The message names the input by its label once (the model words it).
        self._alert.object = plain(m.error) if m.error else ""
        self._alert.visible = bool(m.error)
        self._table.object = search_table_html(m.rows, m.cone is not None)
        self._table.visible = not m.error and not m.rows.empty
        if m.error:
            # Nothing of an earlier search: its cone is not what the inputs now say.
            status = "Search not run: correct the input named above."
        elif not m.total:
            status = plain(m.no_match_message())
        else:
            first = (m.page - 1) * m.page_size + 1
            last = min(m.page * m.page_size, m.total)
            where = ""
            if m.cone is not None:
                where = " " + plain(cone_text(m.cone))
            status = (f"Sources {first:,}–{last:,} of **{m.total:,}**{where} "
                      f"(page {m.page:,} of {m.pages:,})")
        self._status.object = status
        self._prev.disabled = m.page <= 1
        self._next.disabled = m.page >= m.pages

    def __panel__(self):
        if is_served():
            self._loads.early()  # with the page (decision 0036)
        else:
            self.model.refresh()
            self._render()
        return self._layout


#: The ESE list's place before its first page is shown (a page of rows takes about this).
ESE_MIN_HEIGHT = 220
#: The ESE table's columns: (title, row field, CSS class); "dsa-num" ones are numbers,
#: shown to 3 decimals.
ESE_COLUMNS = (("Source", "source_id", ""), ("Status", "status", ""),
               ("Significance", "significance", "dsa-num"), ("Flag", "flag_type", ""),
               ("Flagged (UTC)", "flagged_at", "dsa-nowrap"), ("η", "eta_metric", "dsa-num"),
               ("V", "v", "dsa-num"), ("σ dev", "sigma_deviation", "dsa-num"),
               ("Notes", "notes", ""))


def ese_cell(value, field: str, cls: str) -> str:
    if field == "source_id":
        return link(str(value))
    if cls == "dsa-num":
        return format_number(value, ",.3f", missing="")
    return "" if pd.isna(value) else e(value)


def ese_table_html(rows: pd.DataFrame) -> str:
    """One page of ESE flags as a plain HTML table (the pages' ``job_format.table``: a
    browser draws it far faster than a Tabulator, decision 0087), the source linked to
    its page; empty without rows (the pager's line says so)."""
    if rows.empty:
        return ""
    return table([(title, cls) for title, _f, cls in ESE_COLUMNS],
                 [[ese_cell(row.get(f), f, c) for _t, f, c in ESE_COLUMNS]
                  for row in rows.to_dict("records")], "")


class EseCandidatesView(Viewer):
    model = param.ClassSelector(class_=EseCandidatesModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._status = pn.widgets.RadioButtonGroup.from_param(m.param.status, width=360)
        self._alert = pn.pane.Alert("", alert_type="warning", visible=False,
                                    sizing_mode="stretch_width")
        self._notes = notes_alert(m, "dsa-ese-notes")
        # The list is read with the page and usually travels in it (decision 0087); a
        # later list only changes these panes' text, which the browser redraws without
        # laying out the page's other views again.
        self._pager = TablePager(m, "dsa-ese-range")
        self._table = pn.pane.HTML(
            "<div class='dsa-note'>Loading ESE candidates…</div>",
            sizing_mode="stretch_width", margin=(0, 5), css_classes=["dsa-ese-table"],
            stylesheets=[JOBS_CSS, *LINK_CSS])  # the source page's link colour
        self._holder = pn.Column(self._pager.layout, self._table,
                                 sizing_mode="stretch_width", min_height=ESE_MIN_HEIGHT)
        # Quick status clicks overlap: only the newest one's list is shown.
        self._loads = NewestOnly(m.fetch, m.apply, busy=[self._holder])
        m.param.watch(self._render, ["rows", "error", "page"])
        m.param.watch(lambda _e: self._schedule(), ["status"])
        self._layout = pn.Column(pn.Row(pn.pane.Markdown("Status:", margin=(8, 5)),
                                        self._status),
                                 self._notes, self._alert, self._holder,
                                 sizing_mode="stretch_width")

    def refresh(self) -> None:
        """Blocking: fetch now and show the result (see ``NewestOnly``)."""
        self._loads.run()

    def _schedule(self) -> None:
        self._loads.schedule()

    def _render(self, *_events) -> None:
        m = self.model
        self._alert.object = f"**ESE candidates unavailable.** {m.error}" if m.error else ""
        self._alert.visible = bool(m.error)
        self._table.object = ese_table_html(m.page_rows())
        self._pager.render()
        # An error is the alert's to say; no rows say so once, in the pager's line.
        self._pager.layout.visible = not m.error
        self._table.visible = not m.error and bool(m.total)

    def __panel__(self):
        if is_served():
            self._loads.early()  # with the page (decision 0087)
        else:
            self.model.refresh()
            self._render()
        return self._layout
