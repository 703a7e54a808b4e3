"""/ms: the pipeline funnel and the table of measurement sets (decision 0051).

The funnel is one card per stage in pipeline order; its count and its stuck count are
buttons that filter the table (stage, or stage and stuck), so a click changes the URL
state like any filter. The table is plain HTML (one page of at most 50 rows) with links
to each measurement set's page.
"""

from __future__ import annotations

import html
import threading

import panel as pn
import param
from panel.viewable import Viewer

from ..repositories.ms_funnel import STAGES, stage_order
from ..science.times import format_mjd
from ..viewmodels.measurement_sets import (
    QUERY_PARAMS,
    MeasurementSetsModel,
    StageSummary,
    ms_page_url,
)
from ..viewmodels.ms_history import WINDOWS
from .background import is_served, load_early, run_in_background, update_together
from .job_format import DASH, JOBS_CSS, e, number, status_badge, table, utc
from .ms_history import history_plot
from .urlstate import notes_alert

COLUMNS = [("Measurement set", "dsa-path"), ("Observed (UTC)", "dsa-nowrap"),
           ("Mid MJD", "dsa-num"), ("Field", ""), ("RA, Dec (deg)", "dsa-nowrap"),
           ("Stage", "dsa-nowrap"), ("Status", ""), ("Stage since (UTC)", "dsa-nowrap"),
           ("Calibrated", ""), ("Images", "dsa-num")]
SORT_LABELS = {"Observation time": "mid_mjd", "Start": "start_mjd", "Path": "path",
               "Stage": "stage", "Status": "status", "Stage changed": "stage_updated_at",
               "Created": "created_at", "Field": "field_name"}
FUNNEL_CSS = """
.dsa-stage { border: 1px solid rgba(127,127,127,0.35); border-radius: 6px; padding: 4px 6px;
  min-width: 118px; }
.dsa-stage-name { font-weight: 600; font-size: 0.9em; }
"""


def _fixed(value, digits: int) -> str:
    v = number(value)
    return DASH if v is None else f"{v:.{digits}f}"


def ms_cell(path) -> str:
    text = str(path or "")
    name = text.rsplit("/", 1)[-1] or DASH
    return (f"<a class='dsa-ms-link' href='{e(ms_page_url(text))}' title='{e(text)}'>"
            f"{e(name)}</a>")


def rows_html(model: MeasurementSetsModel) -> str:
    out = []
    for row in model.rows.to_dict("records"):
        ra, dec = number(row.get("pointing_ra_deg")), number(row.get("pointing_dec_deg"))
        stuck = (" " + status_badge("stuck", f"stuck: failed, or in this stage longer than "
                                              f"{model.stuck_hours:g} h")
                 if row.get("stuck") else "")
        applied = row.get("calibration_applied")
        n_images = row.get("n_images")
        out.append([
            ms_cell(row["path"]), e(format_mjd(number(row.get("mid_mjd"))) or DASH),
            _fixed(row.get("mid_mjd"), 5), e(row.get("field_name") or DASH),
            DASH if ra is None or dec is None else f"{ra:.3f}, {dec:+.3f}",
            e(row.get("stage") or DASH) + stuck, status_badge(row.get("status")),
            utc(row.get("stage_updated_at")),
            "yes" if applied else ("no" if applied is not None else DASH),
            DASH if number(n_images) is None else f"{int(number(n_images)):,}"])
    return table(COLUMNS, out, "No measurement sets match.")


def stuck_html(model: MeasurementSetsModel) -> str:
    total = sum(s.stuck for s in model.funnel)
    rows = [[ms_cell(s.path), e(s.stage or DASH), status_badge(s.status), utc(s.since),
             f"<code>{e(s.reason)}</code>" if s.reason
             else "<span class='dsa-note'>no reason recorded</span>"]
            for s in model.stuck_list]
    more = (f"<div class='dsa-note'>The {len(rows)} waiting longest of {total:,}; "
            "“All stuck” lists every one.</div>" if total > len(rows) else "")
    return table([("Measurement set", "dsa-path"), ("Stage", ""), ("Status", ""),
                  ("In stage since (UTC)", "dsa-nowrap"), ("Reason", "")], rows,
                 "Nothing is stuck.") + more


class FunnelView(Viewer):
    """One card per stage: a count button and, when some are stuck, a stuck button."""

    model = param.ClassSelector(class_=MeasurementSetsModel)

    def __init__(self, **params):
        super().__init__(**params)
        self._cards = pn.FlexBox(flex_wrap="wrap", sizing_mode="stretch_width", margin=0,
                                 css_classes=["dsa-funnel"])
        self.stuck = pn.pane.HTML("", stylesheets=[JOBS_CSS], sizing_mode="stretch_width",
                                  css_classes=["dsa-stuck-list"])
        self.stuck_card = pn.Card(self.stuck, title="Stuck measurement sets and why",
                                  collapsed=True, sizing_mode="stretch_width",
                                  margin=(4, 0), css_classes=["dsa-stuck-card"])
        self.model.param.watch(self._render, ["funnel"])
        self.model.param.watch(self._render_stuck, ["stuck_list", "funnel"])
        self._shown: list[StageSummary] | None = None

    def _render_stuck(self, *_events) -> None:
        total = sum(s.stuck for s in self.model.funnel)
        self.stuck_card.title = f"Stuck measurement sets and why ({total:,})"
        self.stuck.object = stuck_html(self.model)

    def _card(self, s: StageSummary) -> pn.viewable.Viewable:
        m = self.model
        name = s.stage if s.stage is not None else "(no stage)"
        count = pn.widgets.Button(label=f"{s.count:,}", color="primary",
                                  variant="outline", width=100, margin=(2, 0),
                                  description=f"Show the {s.count:,} in {name}",
                                  css_classes=["dsa-stage-count"])
        count.on_click(lambda _e, st=s.stage: m.show_stage(st))
        statuses = ", ".join(f"{k or 'no status'} {v:,}" for k, v in s.statuses.items())
        parts = [pn.pane.HTML(f"<div class='dsa-stage-name'>{e(name)}</div>", margin=0,
                              stylesheets=[FUNNEL_CSS]), count]
        if s.stuck:
            stuck = pn.widgets.Button(label=f"{s.stuck:,} stuck", color="danger",
                                      variant="outline", width=100, margin=(2, 0),
                                      css_classes=["dsa-stage-stuck"])
            stuck.on_click(lambda _e, st=s.stage: m.show_stage(st, stuck=True))
            parts.append(stuck)
        parts.append(pn.pane.HTML(f"<div class='dsa-note'>{e(statuses)}</div>", margin=0,
                                  stylesheets=[JOBS_CSS], width=110))
        return pn.Column(*parts, margin=(0, 8, 8, 0), css_classes=["dsa-stage"],
                         stylesheets=[FUNNEL_CSS], name=name)

    def _render(self, *_events) -> None:
        funnel = list(self.model.funnel)
        if funnel == self._shown:
            return
        self._shown = funnel
        if not funnel:
            self._cards.objects = [pn.pane.HTML(
                "<div class='dsa-note'>No measurement sets in ms_index.</div>",
                stylesheets=[JOBS_CSS])]
            return
        self._cards.objects = [self._card(s) for s in funnel]

    def __panel__(self):
        stuck_all = pn.widgets.Button(label="All stuck", color="danger",
                                      variant="outline", width=90,
                                      css_classes=["dsa-all-stuck"])
        stuck_all.on_click(lambda _e: self.model.show_stage(None, stuck=True))
        note = pn.pane.HTML(
            f"<div class='dsa-note'>Stuck: failed, or waiting in one stage (before "
            f"cataloged) for more than {self.model.stuck_hours:g} h "
            "(DSA110_DASH_MS_STUCK_HOURS). Click a count to list them.</div>",
            stylesheets=[JOBS_CSS], sizing_mode="stretch_width")
        return pn.Column(pn.Row(note, stuck_all, sizing_mode="stretch_width"),
                         self._cards, self.stuck_card, sizing_mode="stretch_width", margin=0)


class MeasurementSetsView(Viewer):
    model = param.ClassSelector(class_=MeasurementSetsModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._served = is_served()
        self._ready = False
        self._lock = threading.Lock()
        self.funnel = FunnelView(model=m)
        # The stages present (from the funnel) and the pipeline's own, in pipeline order;
        # a stage from the URL that neither knows is kept as an option too.
        self.stage = pn.widgets.Select(label="Stage", options=self._stage_options(),
                                       value=m.stage, width=170, css_classes=["dsa-ms-stage"])
        self.stage.param.watch(lambda ev: setattr(m, "stage", ev.new or ""), "value")
        self.status = pn.widgets.TextInput.from_param(m.param.status, label="Status",
                                                      width=150)
        self.cal = pn.widgets.Select.from_param(
            m.param.cal, options={"either": "", "applied": "yes", "not applied": "no"},
            label="Calibration", width=120)
        self.stuck = pn.widgets.Checkbox.from_param(m.param.stuck, label="Only stuck",
                                                    margin=(30, 8, 8, 8),
                                                    css_classes=["dsa-ms-stuck"])
        self.q = pn.widgets.TextInput.from_param(m.param.q, label="Path contains",
                                                 placeholder="2025-10-17T14", width=180)
        self.clear = pn.widgets.Button(label="Clear filters", width=100, margin=(24, 8, 8, 8))
        self.clear.on_click(lambda _e: m.clear_filters())
        self.sort = pn.widgets.Select.from_param(m.param.sort, options=SORT_LABELS,
                                                 label="Sort by", width=140)
        self.order = pn.widgets.RadioButtonGroup.from_param(
            m.param.order, options={"↓ desc": "desc", "↑ asc": "asc"}, width=110,
            margin=(24, 8, 8, 8))
        self.prev = pn.widgets.Button(label="‹ Previous", width=95, margin=(4, 2))
        self.next = pn.widgets.Button(label="Next ›", width=80, margin=(4, 2))
        self.prev.on_click(lambda _e: m.go_to_page(m.page - 1))
        self.next.on_click(lambda _e: m.go_to_page(m.page + 1))
        self.range = pn.pane.HTML("Loading…", margin=(10, 8, 0, 8),
                                  styles={"font-weight": "600"}, css_classes=["dsa-ms-range"])
        self.page_of = pn.pane.HTML("", margin=(8, 8), align="center")
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width")
        self.missing = pn.pane.Alert("", alert_type="warning", visible=False,
                                     sizing_mode="stretch_width", css_classes=["dsa-ms-missing"])
        self.rows = pn.pane.HTML(rows_html(m), sizing_mode="stretch_width",
                                 stylesheets=[JOBS_CSS], min_height=120,
                                 css_classes=["dsa-ms-table"])
        self.history = pn.widgets.Select.from_param(
            m.param.history, options={label: key for key, (label, _d, _s) in WINDOWS.items()},
            label="Funnel over time", width=220, css_classes=["dsa-ms-history"])
        self.history_plot = pn.pane.Bokeh(None, sizing_mode="stretch_width", height=270,
                                           css_classes=["dsa-ms-history-plot"])
        filters = pn.FlexBox(self.stage, self.status, self.cal, self.stuck, self.q, self.clear,
                             self.sort, self.order, flex_wrap="wrap",
                             align_items="flex-start", sizing_mode="stretch_width", margin=0)
        pager = pn.Row(self.range, pn.Spacer(width=12), self.prev, self.page_of, self.next,
                       margin=(0, 0, 4, 0))
        self._layout = pn.Column(
            notes_alert(m, "dsa-ms-notes"), self.missing,
            pn.pane.HTML("<h3 style='margin:4px 0'>Pipeline funnel</h3>", margin=0),
            self.funnel, self.history, self.history_plot,
            pn.pane.HTML("<h3 style='margin:12px 0 4px 0'>Measurement sets</h3>", margin=0),
            filters, self.alert, pager, self.rows, sizing_mode="stretch_width", margin=0)
        m.param.watch(self._render, ["rows", "total", "error", "page", "missing"])
        m.param.watch(self._on_query, list(QUERY_PARAMS))
        m.param.watch(self._render_stages, ["funnel", "stage"])
        m.param.watch(self._on_history, ["history"])
        m.param.watch(self._render_history, ["history_result"])
        self._render()

    def _stage_options(self) -> dict[str, str]:
        m = self.model
        present = [s.stage for s in m.funnel if s.stage is not None]
        stages = sorted({*STAGES, *present, *([m.stage] if m.stage else [])}, key=stage_order)
        return {"all": "", **{s: s for s in stages}}

    def _render_stages(self, *_events) -> None:
        options = self._stage_options()
        if options != self.stage.options or self.stage.value != self.model.stage:
            self.stage.param.update(options=options, value=self.model.stage)

    def refresh_history(self) -> None:
        result = self.model.fetch_history()
        update_together(lambda: self.model.apply_history(result))

    def _on_history(self, *_events) -> None:
        if self._ready:
            run_in_background(self.refresh_history)

    def _render_history(self, *_events) -> None:
        h = self.model.history_result
        self.history_plot.object = history_plot(h) if h is not None else None

    def refresh(self) -> None:
        with self._lock:
            result = self.model.fetch()
            update_together(lambda: self.model.apply(result))

    def _on_query(self, *_events) -> None:
        if self._ready:
            run_in_background(self.refresh)

    def _render(self, *_events) -> None:
        m = self.model
        self.rows.object = rows_html(m)
        self.range.object = html.escape(m.range_text)
        self.page_of.object = f"Page {m.page:,} of {m.page_count:,}"
        self.prev.disabled = m.page <= 1
        self.next.disabled = m.page >= m.page_count
        if m.error:
            kind = "Invalid filter" if m.error_parameter else "Could not load measurement sets"
            self.alert.object = f"**{kind}**: {html.escape(m.error)}"
        self.alert.visible = bool(m.error)
        text = m.missing_text
        self.missing.param.update(object=html.escape(text or ""), visible=bool(text))

    def __panel__(self):
        if self._served:
            # Read while the page is being created (decision 0036): the first rows,
            # funnel and history then travel with the page instead of after it.
            load_early(self._read_first, self._show_first)
        else:
            self.model.refresh()  # the history too
            self._ready = True
        return self._layout

    def _read_first(self) -> tuple:
        return self.model.fetch(), self.model.fetch_history()

    def _show_first(self, results: tuple) -> None:
        result, history = results
        self._ready = True
        m = self.model
        if getattr(history, "window", m.history) != m.history:  # changed meanwhile
            run_in_background(self.refresh_history)
        else:
            m.apply_history(history)
        if result.query != m.query:
            run_in_background(self.refresh)
        else:
            m.apply(result)

