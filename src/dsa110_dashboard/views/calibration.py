"""/calibration: the apply-list at a chosen time, the validity timeline, the registry
table (filters, sort, pager) and the calibration-QA heat map.

Tables are plain HTML (escaped), figures plain Bokeh (views/cal_plots.py). Bad registry
rows are shown with a badge saying what is wrong, never left out.
"""

from __future__ import annotations

import html
import threading

import panel as pn
import param
from panel.viewable import Viewer

from ..repositories.cal_registry import STATES, ApplyList
from ..science.numbers import format_number
from ..science.times import format_mjd
from ..viewmodels.calibration import (
    FILTER_PARAMS,
    HISTORY_DAYS,
    CalibrationModel,
)
from .background import load_early, run_in_background, update_together
from .cal_plots import STATE_COLOURS, qa_heatmap_figure, timeline_figure
from .job_format import DASH, JOBS_CSS, e, table
from .urlstate import notes_alert
from .table_pager import TablePager

SORT_LABELS = {"Created": "created", "Valid from": "start", "Valid until": "end",
               "Type (apply order)": "type", "State": "state", "Set": "set"}
REGISTRY_COLUMNS = [("Set", "dsa-nowrap"), ("Type", ""), ("State", ""),
                    ("Calibrator", "dsa-nowrap"), ("Refant", ""),
                    ("Valid from (UTC)", "dsa-nowrap"), ("Valid until (UTC)", "dsa-nowrap"),
                    ("Quality", ""), ("Problems", ""), ("Table", "dsa-path")]
APPLY_COLUMNS = [("Order", "dsa-num"), ("Type", ""), ("Set", "dsa-nowrap"),
                 ("Calibrator", ""), ("Valid from (UTC)", "dsa-nowrap"),
                 ("Valid until (UTC)", "dsa-nowrap"), ("Table", "dsa-path")]
PROBLEM_COLOUR = "#c62828"


def state_badge(state) -> str:
    shown = str(state or "unknown")
    colour = STATE_COLOURS.get(shown, "#7b1fa2")
    return (f'<span class="dsa-badge dsa-state-{e(shown)}" '
            f'style="background:{colour}">{e(shown)}</span>')


def problem_badge(text: str) -> str:
    return (f'<span class="dsa-badge dsa-cal-problem" '
            f'style="background:{PROBLEM_COLOUR}">{e(text)}</span>')


def when(mjd) -> str:
    try:
        value = float(mjd)
    except (TypeError, ValueError):
        return "open"
    return format_mjd(value, seconds=False) or "open"


def quality_text(metrics) -> str:
    if not isinstance(metrics, dict):
        return DASH
    parts = []
    for key, label, spec in (("snr_mean", "SNR", ".0f"),
                             ("flagged_fraction", "flagged", ".1%"),
                             ("n_antennas", "ants", ".0f")):
        if metrics.get(key) is not None:
            parts.append(f"{label} {format_number(metrics[key], spec)}")
    return e(", ".join(parts)) if parts else DASH


def path_cell(path) -> str:
    text = str(path or "")
    return f"<span title='{e(text)}'>{e(text.rsplit('/', 1)[-1] or DASH)}</span>"


def registry_html(model: CalibrationModel) -> str:
    rows = []
    for r in model.rows.to_dict("records"):
        problems = []
        if r.get("inverted_window"):
            problems.append(problem_badge("window ends before it starts"))
        if r.get("overlaps_active"):
            problems.append(problem_badge("overlaps another active set"))
        if r.get("path_problem"):
            problems.append(problem_badge(f"table {r['path_problem']}"))
        rows.append([e(r.get("set_name")), e(r.get("table_type")), state_badge(r.get("state")),
                     e(r.get("cal_field") or DASH), e(r.get("refant") or DASH),
                     when(r.get("valid_start_mjd")), when(r.get("valid_end_mjd")),
                     quality_text(r.get("quality_metrics")), " ".join(problems) or DASH,
                     path_cell(r.get("path"))])
    return table(REGISTRY_COLUMNS, rows, "No calibration tables match.").replace(
        "class='dsa-jobs'", "class='dsa-jobs dsa-cal-registry'", 1)


def apply_html(applied: ApplyList | None) -> str:
    if applied is None:
        return "<div class='dsa-note'>Loading…</div>"
    rows = [[e(t.order_index), e(t.table_type), e(t.set_name), e(t.cal_field or DASH),
             when(t.valid_start_mjd), when(t.valid_end_mjd), path_cell(t.path)]
            for t in applied.tables]
    head = (f"<div class='dsa-note'>At {e(format_mjd(applied.mjd))} UTC "
            f"(MJD {applied.mjd:.5f}): {len(applied.tables)} table(s), in apply order.</div>")
    body = table(APPLY_COLUMNS, rows, "No valid calibration table at this time.")
    return head + body.replace("class='dsa-jobs'", "class='dsa-jobs dsa-cal-apply'", 1)


class CalibrationPageView(Viewer):
    model = param.ClassSelector(class_=CalibrationModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._ready = False
        self._lock = threading.Lock()
        # -- the apply-list
        self.at = pn.widgets.TextInput.from_param(
            m.param.at, label="Time (MJD or UTC date/time; empty: now)",
            placeholder="2025-10-17T14:40 or 60965.61", width=300,
            css_classes=["dsa-cal-at"])
        self.now = pn.widgets.Button(label="Now", width=70, margin=(24, 8, 8, 8))
        self.now.on_click(lambda _e: setattr(m, "at", ""))
        self.apply_alert = pn.pane.Alert("", alert_type="warning", visible=False,
                                         sizing_mode="stretch_width",
                                         css_classes=["dsa-cal-warnings"])
        self.apply_rows = pn.pane.HTML(apply_html(None), sizing_mode="stretch_width",
                                       stylesheets=[JOBS_CSS], css_classes=["dsa-cal-apply"])
        # -- the timeline and the QA heat map
        self.timeline = pn.Column(sizing_mode="stretch_width", margin=0,
                                  css_classes=["dsa-cal-timeline"])
        self.heatmap = pn.Column(sizing_mode="stretch_width", margin=0,
                                 css_classes=["dsa-cal-qa"])
        # -- the registry
        self.type = pn.widgets.Select(label="Type", options=self._type_options(),
                                      value=m.type, width=110, css_classes=["dsa-cal-type"])
        self.type.param.watch(lambda ev: setattr(m, "type", ev.new or ""), "value")
        self.state = pn.widgets.Select.from_param(
            m.param.state, options={"all": "", **{s: s for s in STATES}}, label="State",
            width=110, css_classes=["dsa-cal-state"])
        self.field = pn.widgets.TextInput.from_param(
            m.param.field, label="Calibrator contains", placeholder="0834", width=160)
        self.sort = pn.widgets.Select.from_param(m.param.sort, options=SORT_LABELS,
                                                 label="Sort by", width=150)
        self.order = pn.widgets.RadioButtonGroup.from_param(
            m.param.order, options={"↓ desc": "desc", "↑ asc": "asc"}, label="",
            width=110, margin=(24, 8, 8, 8))
        self.pager = TablePager(m, "dsa-cal-range")
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width")
        self.rows = pn.pane.HTML(registry_html(m), sizing_mode="stretch_width",
                                 stylesheets=[JOBS_CSS], min_height=80,
                                 css_classes=["dsa-cal-registry"])
        heading = "<h3 style='margin:12px 0 4px 0'>{}</h3>".format
        self._layout = pn.Column(
            notes_alert(m, "dsa-cal-notes"),
            pn.pane.HTML(heading("Apply-list"), margin=0),
            pn.Row(self.at, self.now, margin=0), self.apply_alert, self.apply_rows,
            pn.pane.HTML(heading(f"Validity timeline (last {HISTORY_DAYS:g} days)"),
                         margin=0),
            self.timeline,
            pn.pane.HTML(heading("Registry"), margin=0),
            pn.FlexBox(self.type, self.state, self.field, self.sort, self.order,
                       flex_wrap="wrap", align_items="flex-start",
                       sizing_mode="stretch_width", margin=0),
            self.alert,
            self.pager.layout,
            self.rows,
            pn.pane.HTML(heading("Calibration QA"), margin=0),
            self.heatmap,
            sizing_mode="stretch_width", margin=0)
        m.param.watch(self._render_registry, ["rows", "total", "error", "page"])
        m.param.watch(self._render_types, ["type_options", "type"])
        m.param.watch(self._render_apply, ["apply_list", "apply_error"])
        m.param.watch(self._render_timeline, ["windows"])
        m.param.watch(self._render_heatmap, ["qa_cells"])
        m.param.watch(self._on_registry_query, [*FILTER_PARAMS, "sort", "order", "page"])
        m.param.watch(self._on_time, ["at"])
        self._render_registry()

    def _type_options(self) -> dict[str, str]:
        m = self.model
        return {"all": "", **{t: t for t in sorted({*m.type_options,
                                                    *([m.type] if m.type else [])})}}

    # ---------------------------------------------------------------- loading
    def _locked(self, work) -> None:
        with self._lock:
            update_together(work)

    def _on_registry_query(self, *_events) -> None:
        if self._ready:
            run_in_background(lambda: self._locked(self.model.refresh_registry))

    def _on_time(self, *_events) -> None:
        if self._ready:
            def work() -> None:
                self.model.refresh_apply_list()
                self.model.refresh_history()
            run_in_background(lambda: self._locked(work))

    def __panel__(self):
        self._ready = True
        load_early(self.model.read_all, self._show_first)
        return self._layout

    def _show_first(self, result: tuple) -> None:
        query, updates = result
        if query != self.model.query:  # changed meanwhile: read everything again
            run_in_background(lambda: self._locked(self.model.refresh))
            return
        self.model.param.update(**updates)

    # ---------------------------------------------------------------- render
    def _render_registry(self, *_events) -> None:
        m = self.model
        self.rows.object = registry_html(m)
        self.pager.render()
        if m.error:
            self.alert.object = f"**Could not load the registry**: {html.escape(m.error)}"
        self.alert.visible = bool(m.error)

    def _render_types(self, *_events) -> None:
        options = self._type_options()
        if options != self.type.options or self.type.value != self.model.type:
            self.type.param.update(options=options, value=self.model.type)

    def _render_apply(self, *_events) -> None:
        m = self.model
        if m.apply_error:
            self.apply_alert.param.update(object=f"**Invalid time**: {html.escape(m.apply_error)}",
                                          alert_type="danger", visible=True)
            self.apply_rows.object = ""
            return
        applied = m.apply_list
        warnings = applied.warnings if applied is not None else []
        self.apply_alert.param.update(
            object="\n".join(f"- {html.escape(w)}" for w in warnings),
            alert_type="warning", visible=bool(warnings))
        self.apply_rows.object = apply_html(applied)

    def _render_timeline(self, *_events) -> None:
        m = self.model
        windows = m.windows
        if windows is None:
            return
        if windows.empty:
            self.timeline[:] = [pn.pane.HTML(
                "<div class='dsa-note'>No calibration table is valid in this range.</div>")]
            return
        now = m.now_mjd
        at = m.apply_list.mjd if m.apply_list is not None else now
        marks = {"now": now, "chosen": at}
        fig = timeline_figure(windows, min(now, at) - HISTORY_DAYS, max(now, at) + 2.0, marks,
                              m.uncalibrated)
        self.timeline[:] = [pn.pane.Bokeh(fig, sizing_mode="stretch_width")]

    def _render_heatmap(self, *_events) -> None:
        cells = self.model.qa_cells
        if cells is None:
            note = ("This pipeline database has no calibration_qa table, so there is no "
                    "calibration QA to show.")
        elif cells.empty:
            note = "No calibration QA with per-SPW statistics in this range."
        else:
            self.heatmap[:] = [pn.pane.Bokeh(qa_heatmap_figure(cells),
                                             sizing_mode="stretch_width")]
            return
        self.heatmap[:] = [pn.pane.HTML(f"<div class='dsa-note dsa-cal-qa-missing'>"
                                        f"{e(note)}</div>")]
