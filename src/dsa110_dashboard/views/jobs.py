"""/jobs: the jobs table (filters, sort, pager), the queue and the batches.

The table is plain HTML (one page of at most 50 rows, with status badges and links),
so a refresh that changed nothing sends nothing, and one that did replaces the rows
without moving the reader's scroll. The page reads everything again every
``DSA110_DASH_JOBS_REFRESH_SECONDS`` (a periodic callback of the session, which Panel
stops when the session ends); the filters are the model's and are never touched by it.
"""

from __future__ import annotations

import html
import threading
import time

import panel as pn
import param
from panel.viewable import Viewer

from ..repositories.queue_status import QueueSummary
from ..viewmodels.jobs import (
    QUERY_PARAMS,
    STATUSES,
    BatchView,
    JobsModel,
    QueueModel,
    duration,
    job_url,
)
from .background import NewestOnly, is_served, load_in_background
from .job_format import DASH, JOBS_CSS, age, e, span, status_badge, table, utc
from .urlstate import notes_alert
from .table_pager import TablePager

SORT_LABELS = {"Created": "created", "Started": "started", "Finished": "finished",
               "Status": "status", "Type": "type", "Measurement set": "ms", "ID": "id"}
COLUMNS = [("Run id", "dsa-nowrap"), ("Type", "dsa-nowrap"), ("Status", ""),
           ("Measurement set", "dsa-path"), ("Created (UTC)", "dsa-nowrap"),
           ("Started (UTC)", "dsa-nowrap"), ("Finished (UTC)", "dsa-nowrap"),
           ("Duration", "dsa-num"), ("Asked by", "")]


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value) -> int | None:
    try:
        return None if value is None or value != value else int(value)
    except (TypeError, ValueError):
        return None


def ms_cell(path) -> str:
    """The measurement set's file name (it holds the observation time); the whole path
    in its tooltip, so the table fits at 1280 px."""
    text = str(path or "")
    return f"<span title='{e(text)}'>{e(text.rsplit('/', 1)[-1] or DASH)}</span>"


def rows_html(model: JobsModel, now: float | None = None) -> str:
    now = time.time() if now is None else now
    out = []
    for row in model.rows.to_dict("records"):
        running = row["status"] == "running"
        exit_code = _int(row.get("exit_code"))
        tip = f"exit code {exit_code}" if exit_code is not None else None
        rerun_of = _int(row.get("rerun_of"))
        asked = e(_text(row.get("requested_by")) or DASH)
        if rerun_of is not None:
            asked += (f"<br><span class='dsa-note'>rerun of "
                      f"<a href='{job_url(rerun_of)}'>{rerun_of}</a></span>")
        out.append([
            f"<a class='dsa-job-link' href='{job_url(row['id'])}'>"
            f"{e(row.get('run_id') or row['id'])}</a>",
            e(row["type"]), status_badge(row["status"], tip), ms_cell(row["ms_path"]),
            utc(row.get("created_at")), utc(row.get("started_at")),
            utc(row.get("finished_at")),
            span(duration(row.get("started_at"), row.get("finished_at"),
                          now if running else None)),
            asked])
    return table(COLUMNS, out, "No jobs match.")


class JobsTableView(Viewer):
    model = param.ClassSelector(class_=JobsModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._served = is_served()
        self._ready = False
        # A filter changed while a load runs: only the newest load's rows are shown.
        self._loads = NewestOnly(m.fetch, m.apply)
        self.status = pn.widgets.Select.from_param(
            m.param.status, options={"all": "", **{s: s for s in STATUSES}},
            label="Status", width=110, css_classes=["dsa-jobs-status"])
        self.type = pn.widgets.Select(label="Type", options=self._type_options(),
                                      value=m.type, width=150,
                                      css_classes=["dsa-jobs-type"])
        self.type.param.watch(lambda ev: setattr(m, "type", ev.new or ""), "value")
        self.ms = pn.widgets.TextInput.from_param(
            m.param.ms, label="Measurement set contains", placeholder="2025-10-17T14",
            width=200, description=None, css_classes=["dsa-jobs-ms"])
        self.run = pn.widgets.TextInput.from_param(
            m.param.run, label="Run id contains", placeholder="job-2025-10-17-1440",
            width=190, description=None, css_classes=["dsa-jobs-run"])
        self.clear = pn.widgets.Button(label="Clear filters", width=100, margin=(24, 8, 8, 8))
        self.clear.on_click(lambda _e: m.clear_filters())
        self.sort = pn.widgets.Select.from_param(m.param.sort, options=SORT_LABELS,
                                                 label="Sort by", width=130,
                                                 css_classes=["dsa-jobs-sort"])
        self.order = pn.widgets.RadioButtonGroup.from_param(
            m.param.order, options={"↓ desc": "desc", "↑ asc": "asc"}, label="",
            width=110, margin=(24, 8, 8, 8))
        self.pager = TablePager(m, "dsa-jobs-range")
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width")
        self.rows = pn.pane.HTML(rows_html(m), sizing_mode="stretch_width",
                                 stylesheets=[JOBS_CSS], min_height=120,
                                 css_classes=["dsa-jobs-table"])
        filters = pn.FlexBox(self.status, self.type, self.ms, self.run, self.clear,
                             self.sort, self.order, flex_wrap="wrap",
                             align_items="flex-start", sizing_mode="stretch_width",
                             margin=0)
        self._layout = pn.Column(notes_alert(m, "dsa-jobs-notes"), filters, self.alert,
                                 self.pager.layout, self.rows, sizing_mode="stretch_width", margin=0)
        m.param.watch(self._render_rows, ["rows"])
        m.param.watch(self._render, ["rows", "total", "error", "page"])
        m.param.watch(self._render_types, ["type_options", "type"])
        m.param.watch(self._on_query, list(QUERY_PARAMS))
        self._render()

    def _type_options(self) -> dict[str, str]:
        m = self.model
        return {"all": "", **{t: t for t in sorted({*m.type_options, *(
            [m.type] if m.type else [])})}}

    # ---------------------------------------------------------------- loading
    def refresh(self) -> None:
        """Blocking (a worker thread): fetch the current query and show it."""
        self._loads.run()

    def _on_query(self, *_events) -> None:
        if self._ready:
            self._loads.schedule()

    # -------------------------------------------------------------- render
    def _render_rows(self, *_events) -> None:
        self.rows.object = rows_html(self.model)

    def _render_types(self, *_events) -> None:
        options = self._type_options()
        if options != self.type.options or self.type.value != self.model.type:
            self.type.param.update(options=options, value=self.model.type)

    def _render(self, *_events) -> None:
        m = self.model
        self.pager.render()
        if m.error:
            kind = "Invalid filter" if m.error_parameter else "Could not load jobs"
            self.alert.object = f"**{kind}**: {html.escape(m.error)}"
        self.alert.visible = bool(m.error)

    def __panel__(self):
        if self._served:
            load_in_background(self._first_load)
        else:
            self.model.refresh()
            self._ready = True
        return self._layout

    def _first_load(self) -> None:
        self._ready = True
        self.refresh()


# --------------------------------------------------------------------- queue


def queue_html(summary: QueueSummary | None, stale_after: float,
               now: float | None = None) -> str:
    if summary is None:
        return "<div class='dsa-note'>Loading…</div>"
    now = time.time() if now is None else now
    oldest = summary.oldest_pending_at
    pending = sum(c.get("pending", 0) for c in summary.by_type.values())
    running = sum(c.get("running", 0) for c in summary.by_type.values())
    parts = [f"<div><b>{pending:,}</b> pending · <b>{running:,}</b> running"
             + (f" · the oldest pending job has waited {span(now - oldest)}"
                if oldest is not None else "") + "</div>"]
    waited = summary.oldest_pending_by_type
    parts.append(table(
        [("Type", ""), ("Pending", "dsa-num"), ("Running", "dsa-num"),
         ("Oldest pending waited", "dsa-nowrap")],
        [[e(kind), f"{c.get('pending', 0):,}", f"{c.get('running', 0):,}",
          span(now - waited[kind]) if kind in waited else DASH]
         for kind, c in summary.by_type.items()], "Nothing is pending or running."))
    workers = []
    for w in summary.workers:
        tip = {"stale": f"no heartbeat for longer than {stale_after:g} s "
                        "(DSA110_DASH_TIMEOUT_JOB_HEARTBEAT_STALE): the worker died",
               "stopped": "exited cleanly"}.get(w.state)
        current = [f"<a href='{job_url(j['job_id'])}'>{e(j.get('run_id') or j['job_id'])}</a>"
                   for j in w.jobs] + [f"batch {int(b)}" for b in w.batches]
        if not current and w.current_job_id is not None and w.state == "running":
            current = [f"<a href='{job_url(w.current_job_id)}'>job {w.current_job_id}</a>"]
        workers.append([e(w.name), e(w.host or DASH), status_badge(w.state, tip),
                        "<br>".join(current) or DASH, age(w.heartbeat_at, now)])
    parts.append("<h4 class='dsa-h'>Workers</h4>")
    parts.append(table([("Worker", "dsa-nowrap"), ("Host", ""), ("State", ""),
                        ("Current job", ""), ("Last heartbeat", "dsa-nowrap")], workers,
                       "No worker seen lately (start one with `dsa110-dash worker`)."))
    return "".join(parts)


def progress_html(b: BatchView) -> str:
    def part(n: int, colour: str, what: str) -> str:
        if not n or not b.total:
            return ""
        return (f"<span style='width:{100 * n / b.total:.2f}%;background:{colour}' "
                f"title='{n:,} {what}'></span>")

    bar = (part(b.done, "#2e7d32", "done") + part(b.failed, "#c62828", "failed")
           + part(b.cancelled, "#8d5a00", "cancelled") + part(b.running, "#1565c0",
                                                              "running"))
    counts = (f"{b.done + b.failed + b.cancelled:,} of {b.total:,} finished: "
              f"{b.done:,} done, {b.failed:,} failed"
              + (f", {b.cancelled:,} cancelled" if b.cancelled else "")
              + (f", {b.running:,} running" if b.running else "")
              + (f", {b.pending:,} pending" if b.pending else ""))
    return (f"<div><b>Batch {b.id}</b> · {e(b.type)} {status_badge(b.status)} "
            f"<span class='dsa-note'>started {utc(b.created_at)} UTC</span></div>"
            f"<div class='dsa-progress' role='progressbar' aria-valuemin='0' "
            f"aria-valuemax='{b.total}' aria-valuenow='{b.done + b.failed + b.cancelled}'>"
            f"{bar}</div><div class='dsa-note'>{counts}</div>")


def errors_html(b: BatchView) -> str:
    rows = [[e(i.ms_path), f"<code>{e(i.error or DASH)}</code>"] for i in b.errors]
    more = (f"<div class='dsa-note'>The first {len(b.errors)} of {b.failed:,} failed "
            "items.</div>" if b.failed > len(b.errors) else "")
    return table([("Item", "dsa-path"), ("Error", "")], rows, "No failed items.") + more


class QueueView(Viewer):
    """The queue and the batches; each batch's failed items in a card that keeps its
    open or closed state across refreshes."""

    model = param.ClassSelector(class_=QueueModel)
    stale_after = param.Number(default=60.0)

    def __init__(self, **params):
        super().__init__(**params)
        self.queue = pn.pane.HTML(queue_html(None, self.stale_after),
                                  stylesheets=[JOBS_CSS], sizing_mode="stretch_width",
                                  css_classes=["dsa-queue"])
        self.batches = pn.Column(sizing_mode="stretch_width", margin=0)
        self._batch_panes: dict[int, tuple[pn.pane.HTML, pn.Card | None]] = {}
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width")
        self.model.param.watch(self._render_queue, ["summary"])
        self.model.param.watch(self._render_batches, ["batches"])
        self.model.param.watch(self._render_error, ["error"])

    def _render_error(self, *_events) -> None:
        self.alert.param.update(object=f"**Could not read the queue**: "
                                       f"{html.escape(self.model.error or '')}",
                                visible=bool(self.model.error))

    def _render_queue(self, *_events) -> None:
        self.queue.object = queue_html(self.model.summary, self.stale_after)

    def _render_batches(self, *_events) -> None:
        shown = []
        for b in self.model.batches:
            progress, card = self._batch_panes.get(b.id, (None, None))
            if progress is None:
                progress = pn.pane.HTML("", stylesheets=[JOBS_CSS],
                                        sizing_mode="stretch_width", margin=(6, 6, 0, 6),
                                        css_classes=["dsa-batch"])
            progress.object = progress_html(b)
            if b.failed and card is None:
                card = pn.Card(pn.pane.HTML("", stylesheets=[JOBS_CSS],
                                            sizing_mode="stretch_width"),
                               title=f"{b.failed:,} failed item(s) of batch {b.id}",
                               collapsed=True, sizing_mode="stretch_width",
                               margin=(0, 6, 6, 6), css_classes=["dsa-batch-errors"])
            if card is not None:
                card.title = f"{b.failed:,} failed item(s) of batch {b.id}"
                if card.objects[0].object != errors_html(b):
                    card.objects[0].object = errors_html(b)
            self._batch_panes[b.id] = (progress, card)
            shown += [progress] + ([card] if card is not None else [])
        if not shown:
            shown = [pn.pane.HTML("<div class='dsa-note'>No batch jobs.</div>",
                                  stylesheets=[JOBS_CSS])]
        if [id(o) for o in self.batches.objects] != [id(o) for o in shown]:
            self.batches.objects = shown

    def __panel__(self):
        return pn.FlexBox(
            pn.Column(pn.pane.HTML("<h3 style='margin:4px 0'>Queue</h3>"), self.alert,
                      self.queue, styles={"flex": "1 1 420px"}, margin=(0, 12, 0, 0)),
            pn.Column(pn.pane.HTML("<h3 style='margin:4px 0'>Batch jobs</h3>"),
                      self.batches, styles={"flex": "1 1 420px"}, margin=0),
            flex_wrap="wrap", sizing_mode="stretch_width", margin=0)


class JobsPageView(Viewer):
    """The table, the queue and the batches, refreshed together every ``period_s``."""

    jobs = param.ClassSelector(class_=JobsModel)
    queue = param.ClassSelector(class_=QueueModel)
    period_s = param.Number(default=5.0, bounds=(0.1, None))
    stale_after = param.Number(default=60.0)

    def __init__(self, **params):
        super().__init__(**params)
        self.table = JobsTableView(model=self.jobs)
        self.queue_view = QueueView(model=self.queue, stale_after=self.stale_after)
        self.updated = pn.pane.HTML("", margin=(0, 8), styles={"font-size": "0.8em",
                                                              "opacity": "0.7"},
                                    css_classes=["dsa-jobs-updated"])
        self._busy = threading.Lock()
        self._queue_loads = NewestOnly(self.queue.fetch, self.queue.apply)
        self.jobs.param.watch(self._render_updated, ["read_at"])

    def _render_updated(self, *_events) -> None:
        self.updated.object = (f"Read {utc(self.jobs.read_at)} UTC; refreshed every "
                               f"{self.period_s:g} s" if self.jobs.read_at else "")

    def refresh_queue(self) -> None:
        self._queue_loads.run()

    def tick(self) -> None:
        """Blocking (a worker thread): the table and the queue again; a tick that finds
        the previous one still running is skipped."""
        if not self._busy.acquire(blocking=False):
            return
        try:
            self.table.refresh()
            self.refresh_queue()
        finally:
            self._busy.release()

    def __panel__(self):
        layout = pn.Column(self.queue_view,
                           pn.pane.HTML("<h3 style='margin:12px 0 4px 0'>Jobs</h3>",
                                        margin=0),
                           self.table, self.updated, sizing_mode="stretch_width",
                           margin=0)
        # The queue first on its own; the table loads itself (JobsTableView).
        load_in_background(self.refresh_queue)
        if is_served():
            pn.state.add_periodic_callback(self.tick, period=int(self.period_s * 1000))
        return layout
