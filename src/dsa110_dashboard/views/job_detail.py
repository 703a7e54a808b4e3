"""/jobs/{run_id}: one job, its live log tail, and rerun and cancel for operators.

The page reads the job on a worker thread once loaded. While the job is pending or
running, a periodic callback of the session (``DSA110_DASH_LOG_POLL_SECONDS``) reads
what its log file gained, bounded, and appends it; when the job ends the page reads it
once more and the callback stops. The log box keeps its bottom in view by itself
(a column-reverse scroll box), so it follows without any script.

The command line is shown one argument per line, exactly as the process received it:
re-joined into one line it would look like a shell command, which it never was.
"""

from __future__ import annotations

import html
import json
import threading

import panel as pn
import param
from panel.viewable import Viewer

from ..errors import DatabaseUnavailableError
from ..jobs.overrides import DECLARED
from ..jobs.runner import describe_exit
from ..viewmodels.job_detail import JobDetail, JobDetailModel
from ..viewmodels.jobs import duration, job_url
from .background import is_served, load_in_background, run_in_background, update_together
from .job_format import DASH, JOBS_CSS, e, span, status_badge, table, utc

LOG_CSS = """
.dsa-log-box { display: flex; flex-direction: column-reverse; overflow: auto;
  max-height: 460px; border: 1px solid rgba(127,127,127,0.4); border-radius: 4px;
  background: rgba(127,127,127,0.08); }
.dsa-log-box pre { margin: 0; padding: 8px; font-size: 12px; line-height: 1.35;
  white-space: pre-wrap; word-break: break-all; }
pre.dsa-argv { margin: 4px 0; padding: 8px; font-size: 12.5px;
  border: 1px solid rgba(127,127,127,0.4); border-radius: 4px;
  background: rgba(127,127,127,0.08); white-space: pre; overflow-x: auto; }
pre.dsa-argv .dsa-argi { opacity: 0.55; user-select: none; }
"""


def client_address() -> str | None:
    """The session's client address (Tornado's, so X-Forwarded-For only behind a
    trusted proxy: DSA110_DASH_TRUST_PROXY_HEADERS)."""
    doc = pn.state.curdoc
    context = doc.session_context if doc is not None else None
    request = getattr(context, "request", None)
    return getattr(request, "remote_ip", None)


def _kv(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th style='text-align:left;padding-right:14px'>{e(k)}</th>"
                   f"<td>{v}</td></tr>" for k, v in rows)
    return f"<table class='dsa-jobs dsa-kv'>{body}</table>"


def summary_html(d: JobDetail) -> str:
    j, s = d.job, d.state
    running = j.status == "running"
    took = duration(j.started_at, j.finished_at, None)
    rows = [("Status", status_badge(j.status)), ("Type", e(j.type)),
            ("Measurement set", f"<code>{e(j.ms_path)}</code>"),
            ("Run id", f"<code>{e(j.run_id or DASH)}</code>"), ("Job id", e(j.id)),
            ("Created (UTC)", utc(j.created_at)), ("Started (UTC)", utc(j.started_at)),
            ("Finished (UTC)", utc(j.finished_at)),
            ("Duration", "running" if running and took is None else span(took))]
    if s is not None:
        rows += [("Asked by", e(s.requested_by or DASH)),
                 ("Attempt", e(s.attempt)),
                 ("Worker", e(s.worker or DASH) + (f" on {e(s.host)}" if s.host else "")),
                 ("Last heartbeat (UTC)", utc(s.heartbeat_at))]
        if s.rerun_of is not None:
            rows.append(("Rerun of", f"<a href='{job_url(s.rerun_of)}'>job "
                                     f"{e(s.rerun_of)}</a>"))
        if s.exit_code is not None:
            rows.append(("Exit", e(describe_exit(int(s.exit_code)))))
        if s.error:
            rows.append(("Why", e(s.error)))
        if s.cancel_requested_at is not None:
            rows.append(("Cancel requested", f"{utc(s.cancel_requested_at)} UTC by "
                                             f"{e(s.cancel_requested_by or DASH)}"))
    else:
        rows.append(("Queue", "<span class='dsa-note'>Not run by the dashboard's queue "
                              "(the pipeline's own job): no command line, worker or exit "
                              "code on record.</span>"))
    return _kv(rows)


def parameters_html(d: JobDetail) -> str:
    j, s = d.job, d.state
    parts = []
    if j.params_invalid:
        parts.append(f"<div class='dsa-note'>The stored parameters are not valid JSON:</div>"
                     f"<pre class='dsa-argv'>{e(j.params)}</pre>")
    elif isinstance(j.params, dict) and j.params:
        parts.append(_kv([(str(k), f"<code>{e(json.dumps(v))}</code>")
                          for k, v in j.params.items()]))
    else:
        parts.append("<div class='dsa-note'>No parameters.</div>")
    overrides = s.overrides if s is not None and isinstance(s.overrides, dict) else {}
    parts.append("<h4 class='dsa-h'>Overrides of this rerun</h4>")
    parts.append(table(
        [("Key", ""), ("From", ""), ("To", "")],
        [[e(k), f"<code>{e(json.dumps(c.get('from')))}</code>",
          f"<code>{e(json.dumps(c.get('to')))}</code>"]
         for k, c in overrides.items() if isinstance(c, dict)],
        "None: every value came from the database."))
    return "".join(parts)


def command_html(d: JobDetail) -> str:
    argv = d.argv
    if argv is None:
        return ("<div class='dsa-note'>No command on record: the queue did not run this "
                "job.</div>")
    lines = "\n".join(f"<span class='dsa-argi'>[{i}]</span> {e(arg)}"
                      for i, arg in enumerate(argv))
    return ("<div class='dsa-note'>The arguments exactly as the process received them, "
            "one per line (no shell ran them).</div>"
            f"<pre class='dsa-argv dsa-command'>{lines}</pre>")


def artifacts_html(d: JobDetail) -> str:
    j = d.job
    parts = []
    if d.images:
        parts.append(table([("Image", "dsa-path")],
                           [[f"<a class='dsa-image-link' href='/images/{int(i)}'>"
                             f"{e(path)}</a>"] for i, path in d.images], ""))
    if j.artifacts_invalid:
        parts.append(f"<div class='dsa-note'>The stored artifacts are not valid JSON: "
                     f"<code>{e(j.artifacts)}</code></div>")
    elif isinstance(j.artifacts, dict) and j.artifacts:
        made = {p for _i, p in d.images}
        rest = [(str(k), v) for k, v in j.artifacts.items() if v not in made]
        if rest:
            parts.append(_kv([(k, f"<code>{e(v if isinstance(v, str) else json.dumps(v))}"
                                  "</code>") for k, v in rest]))
    elif j.artifacts not in (None, {}, []):
        parts.append(f"<code>{e(json.dumps(j.artifacts))}</code>")
    return "".join(parts) or "<div class='dsa-note'>No artifacts recorded.</div>"


def timeline_html(d: JobDetail) -> str:
    return table([("Time (UTC)", "dsa-nowrap"), ("Status", ""), ("From", ""),
                  ("Worker", ""), ("Detail", "")],
                 [[utc(ev.at), status_badge(ev.status), e(ev.previous or DASH),
                   e(ev.worker or DASH), e(ev.detail or "")] for ev in d.events],
                 "No state changes on record (the queue did not run this job).")


def audit_html(d: JobDetail) -> str:
    return table([("Time (UTC)", "dsa-nowrap"), ("Action", ""), ("Result", ""),
                  ("Who", ""), ("From", ""), ("Role", ""), ("Reason / detail", "")],
                 [[utc(a.at), e(a.action), status_badge(a.result), e(a.actor),
                   e(a.address or DASH), e(a.role or DASH),
                   e(a.reason or (json.dumps(a.detail) if a.detail else ""))]
                  for a in d.audit],
                 "No operator action on this job.")


def _card(title: str, *objects, **kw) -> pn.Card:
    return pn.Card(*objects, title=title, collapsible=True, sizing_mode="stretch_width",
                   margin=(6, 6), **kw)


def _html(text: str = "", **kw) -> pn.pane.HTML:
    return pn.pane.HTML(text, stylesheets=[JOBS_CSS, LOG_CSS], sizing_mode="stretch_width",
                        **kw)


class JobDetailView(Viewer):
    model = param.ClassSelector(class_=JobDetailModel)
    poll_s = param.Number(default=1.0, bounds=(0.05, None))

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._served = is_served()
        self._address = client_address()  # now: callbacks run without the request
        self._poller = None
        self._polling = threading.Lock()
        self._layout = pn.Column(_html(f"Loading job {html.escape(m.ref)}…", margin=(12, 8)),
                                 sizing_mode="stretch_width", min_height=300, loading=True)
        self.title = _html(margin=(4, 6))
        self.summary = _html(css_classes=["dsa-job-summary"])
        self.parameters = _html()
        self.command = _html()
        self.artifacts = _html(css_classes=["dsa-job-artifacts"])
        self.timeline = _html(css_classes=["dsa-job-timeline"])
        self.audit = _html(css_classes=["dsa-job-audit"])
        self.log_note = _html(margin=(0, 6), css_classes=["dsa-log-note"])
        self.log = _html(css_classes=["dsa-log"])
        # Actions
        self.blocked = pn.pane.Alert("", alert_type="secondary", visible=False,
                                     sizing_mode="stretch_width", css_classes=["dsa-blocked"])
        self.message = pn.pane.Alert("", visible=False, sizing_mode="stretch_width",
                                     css_classes=["dsa-action-message"])
        self.cancel = pn.widgets.Button(label="Cancel job", color="danger", width=130,
                                        css_classes=["dsa-cancel"])
        self.cancel.on_click(lambda _e: run_in_background(self._do_cancel))
        self.rerun = pn.widgets.Button(label="Rerun", color="primary", width=130,
                                       css_classes=["dsa-rerun"])
        self.rerun.on_click(lambda _e: run_in_background(self._do_rerun))
        self.fields: dict[str, pn.widgets.TextInput] = {}
        self.field_errors: dict[str, pn.pane.HTML] = {}
        rows = []
        for key, spec in DECLARED.items():
            field = pn.widgets.TextInput(label=f"{key} — {spec.doc}", width=380,
                                         placeholder=spec.describe(),
                                         css_classes=[f"dsa-field-{key}"])
            error = pn.pane.HTML("", margin=(28, 8, 0, 8), width=420,
                                 styles={"color": "#d32f2f", "font-size": "0.9em"},
                                 css_classes=[f"dsa-error-{key}"])
            self.fields[key], self.field_errors[key] = field, error
            rows.append(pn.Row(field, error, margin=0))
        self.form = pn.Column(
            _html("<div class='dsa-note'>Every value starts as the rerun would take it "
                  "from the database (the job's parameters, its measurement set's phase "
                  "centre, the calibration active for it); change only what should "
                  "differ. Each is checked before anything is queued.</div>"),
            *rows, pn.Row(self.rerun, self.cancel, margin=(8, 0)), self.message,
            sizing_mode="stretch_width", margin=0)
        m.param.watch(self._render_log, ["log_text", "log_note", "following"])
        m.param.watch(self._render_actions, ["blocked", "rerun_off", "rerun_errors",
                                             "action_message", "action_ok", "new_job_id"])
        m.param.watch(self._render_detail, ["detail"])
        m.param.watch(self._on_following, ["following"])

    # ---------------------------------------------------------------- loading
    def load(self) -> None:
        """Blocking (a worker thread): the job, then its log's tail."""
        m = self.model
        m.identify_user()
        result = m.fetch()
        blocked = m.blocked_reason()
        rerun_off = m.rerun_off_reason(result if isinstance(result, JobDetail) else None)

        def show() -> None:
            m.apply(result)
            m.param.update(blocked=blocked if m.detail is not None else None,
                           rerun_off=rerun_off)
            self._layout[:] = self._content()
            self._layout.loading = False

        update_together(show)
        if m.detail is not None:
            chunk = m.read_log()
            update_together(lambda: m.show_log(chunk))

    def _poll(self) -> None:
        """Blocking (a periodic callback on a worker thread). A tick that finds the last
        one still reading is skipped; one that finds the database away waits for the
        next (the page's banner says so)."""
        m = self.model
        if m.detail is None or not m.following or not self._polling.acquire(blocking=False):
            return
        try:
            poll = m.poll_log()
            update_together(lambda: m.apply_poll(poll))
            if poll.changed:  # a new state: the summary, timeline and buttons follow it
                result = m.fetch()
                update_together(lambda: m.apply(result))
        except DatabaseUnavailableError:
            return
        finally:
            self._polling.release()

    def _on_following(self, *_events) -> None:
        if not self._served:
            return
        if self.model.following and self._poller is None:
            self._poller = pn.state.add_periodic_callback(
                self._poll, period=int(self.poll_s * 1000))
        elif not self.model.following and self._poller is not None:
            self._poller.stop()
            self._poller = None

    # -------------------------------------------------------------- actions
    def _do_rerun(self) -> None:
        m = self.model
        values = {k: w.value for k, w in self.fields.items()}
        m.rerun(m.actor(self._address), values)

    def _do_cancel(self) -> None:
        m = self.model
        m.cancel(m.actor(self._address))

    # -------------------------------------------------------------- render
    def _content(self) -> list:
        m = self.model
        back = _html("<a href='/jobs'>← Jobs</a>", margin=(10, 8, 0, 8))
        if m.not_found is not None:
            return [back, pn.pane.Alert(
                f"**No such job.** {html.escape(m.not_found)}", alert_type="warning",
                sizing_mode="stretch_width", css_classes=["dsa-not-found"])]
        if m.detail is None:
            return [back, pn.pane.Alert(f"**Could not load the job.** "
                                        f"{html.escape(m.error or '')}",
                                        alert_type="danger", sizing_mode="stretch_width")]
        self._render_detail()
        self._render_log()
        self._render_actions()
        left = pn.Column(
            _card("Job", self.summary),
            _card("Parameters and overrides", self.parameters),
            _card("Command line as run", self.command),
            _card("Artifacts", self.artifacts),
            sizing_mode="stretch_width", margin=0, styles={"flex": "1 1 520px"})
        right = pn.Column(
            _card("Log", self.log_note, self.log),
            _card("Rerun or cancel", self.blocked, self.form),
            sizing_mode="stretch_width", margin=0, styles={"flex": "1 1 620px"})
        return [back, self.title,
                pn.FlexBox(left, right, flex_wrap="wrap", sizing_mode="stretch_width",
                           margin=0),
                _card("Timeline of its states", self.timeline),
                _card("Audit trail", self.audit)]

    def _render_detail(self, *_events) -> None:
        d = self.model.detail
        if d is None:
            return
        self.title.object = (f"<h2 style='margin:4px 0'>Job {e(d.job.id)} · "
                             f"<span class='dsa-mono'>{e(d.job.run_id or '')}</span> "
                             f"{status_badge(d.job.status)}</h2>")
        self.summary.object = summary_html(d)
        self.parameters.object = parameters_html(d)
        self.command.object = command_html(d)
        self.artifacts.object = artifacts_html(d)
        self.timeline.object = timeline_html(d)
        self.audit.object = audit_html(d)
        for key, field in self.fields.items():
            if not field.value_input and not field.value:
                field.value = d.rerun_defaults.get(key, "")
        self._render_actions()

    def _render_log(self, *_events) -> None:
        m = self.model
        state = ("<span class='dsa-log-following' style='color:#1565c0;font-weight:600'>"
                 "● following</span>" if m.following
                 else "<span class='dsa-log-ended dsa-note'>not following (the job is "
                      "not running)</span>")
        self.log_note.object = (f"<div class='dsa-note'>{state} · "
                                f"<code>{e(m.log_note)}</code></div>")
        self.log.object = (f"<div class='dsa-log-box'><pre>{e(m.log_text) or '(empty)'}"
                           "</pre></div>")

    def _render_actions(self, *_events) -> None:
        m = self.model
        d = m.detail
        blocked = m.blocked
        reasons = [f"**Actions unavailable.** {html.escape(blocked)}" if blocked else "",
                   f"**Rerun unavailable.** {html.escape(m.rerun_off)}"
                   if m.rerun_off and not blocked else ""]
        text = "\n\n".join(r for r in reasons if r)
        self.blocked.param.update(object=text, visible=bool(text))
        finished = d is None or not d.running
        self.rerun.disabled = bool(blocked or m.rerun_off) or d is None
        self.cancel.disabled = bool(blocked) or finished
        for field in self.fields.values():
            field.disabled = bool(blocked or m.rerun_off)
        title = ("Cancel is for a pending or running job" if finished else "")
        self.cancel.description = title or None
        for key, pane in self.field_errors.items():
            pane.object = html.escape(m.rerun_errors.get(key, ""))
        if m.action_message:
            link = (f" [Open job {m.new_job_id}]({job_url(m.new_job_id)})"
                    if m.new_job_id is not None else "")
            self.message.param.update(object=html.escape(m.action_message) + link,
                                      alert_type="success" if m.action_ok else "danger",
                                      visible=True)
        else:
            self.message.visible = False

    def __panel__(self):
        if self._served:
            load_in_background(self.load)
        else:
            self.load()
        return self._layout
