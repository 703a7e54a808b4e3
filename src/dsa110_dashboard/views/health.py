"""The /health page: the overall light, each service check (light, response time, last
checked, error, a day of states as a strip), a latency plot (plain Bokeh), the caches
with their clear buttons, and this server process.

It shows what the process's monitor last found and refreshes itself every
``period_s``; it never runs a check (a hung service cannot hold the page).
"""

from __future__ import annotations

import html
import threading
import time

import panel as pn
import param
from panel.viewable import Viewer

from ..status.caches import CACHES, QUERIES, THUMBNAILS, CacheInfo
from ..status.checks import CRITICAL, OK, UNKNOWN, WARNING, HistoryPoint
from ..status.process import ProcessInfo
from ..viewmodels.health import HealthModel, HealthSnapshot
from .background import (
    NewestOnly,
    is_served,
    run_in_background,
    update_figure,
    update_together,
)
from .health_latency import LatencyPlot
from .job_detail import client_address

#: Status -> CSS class: white text on a saturated fill reads on both themes.
CLASSES = {OK: "hl-ok", WARNING: "hl-warn", CRITICAL: "hl-bad", UNKNOWN: "hl-unknown"}
WORDS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
#: Bins of a check's history strip across the kept window.
STRIP_BINS = 96
_RANK = {UNKNOWN: 0, OK: 1, WARNING: 2, CRITICAL: 3}

STYLESHEET = """
:host { font-size: 15px; line-height: 1.35; }
.hl { display: inline-block; padding: 1px 10px; border-radius: 11px; color: #fff;
      font-weight: 650; font-size: 0.85em; white-space: nowrap; }
.hl-big { font-size: 1.5em; padding: 4px 18px; border-radius: 18px; }
.hl-ok { background: #2e7d32; } .hl-warn { background: #b26a00; }
.hl-bad { background: #c62828; } .hl-unknown { background: #6b7785; }
.hl-none { background: rgba(128, 128, 128, 0.18); }
.muted { opacity: 0.72; font-size: 0.88em; }
table.hl-table { border-collapse: collapse; width: 100%; }
table.hl-table th, table.hl-table td { padding: 5px 8px; text-align: left;
      border-bottom: 1px solid rgba(128, 128, 128, 0.25); vertical-align: top; }
table.hl-table td.num, table.hl-table th.num { text-align: right;
      font-variant-numeric: tabular-nums; white-space: nowrap; }
table.hl-table td.err { max-width: 34em; overflow-wrap: anywhere; }
.strip { display: flex; height: 16px; min-width: 160px; width: 100%; gap: 1px; }
.strip > span { flex: 1 1 0; border-radius: 1px; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; }
.kv > .k { opacity: 0.75; }
.msg-ok { color: #fff; background: #2e7d32; padding: 4px 8px; border-radius: 4px; }
.msg-bad { color: #fff; background: #c62828; padding: 4px 8px; border-radius: 4px; }
code { font-size: 0.9em; overflow-wrap: anywhere; }
"""


def e(value) -> str:
    return html.escape(str(value))


def light(status: str, big: bool = False) -> str:
    return (f'<span class="hl {CLASSES.get(status, "hl-unknown")}'
            f'{" hl-big" if big else ""}">{e(WORDS.get(status, status))}</span>')


def utc(at: float | None) -> str:
    if at is None:
        return "never"
    return time.strftime("%H:%M:%S", time.gmtime(at))


def ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"


def duration(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return f"{days} d {hours} h" if days else f"{hours} h {minutes} min"


def strip_html(points: list[HistoryPoint], start: float, end: float) -> str:
    """A day of states: each bin coloured by the worst state checked in it; grey where
    no check ran (before the server started)."""
    width = max(1e-9, (end - start) / STRIP_BINS)
    worst: list[str | None] = [None] * STRIP_BINS
    for p in points:
        i = min(STRIP_BINS - 1, max(0, int((p.checked_at - start) / width)))
        if worst[i] is None or _RANK[p.status] > _RANK[worst[i]]:
            worst[i] = p.status
    cells = []
    for i, status in enumerate(worst):
        since = utc(start + i * width)
        tip = f"{since} UTC: {WORDS[status] if status else 'no data'}"
        cells.append(f'<span class="{CLASSES[status] if status else "hl-none"}" '
                     f'title="{e(tip)}"></span>')
    return f'<div class="strip" role="img" aria-label="history">{"".join(cells)}</div>'


def checks_html(snapshot: HealthSnapshot, window_s: float) -> str:
    now = snapshot.read_at
    rows = []
    for r in snapshot.results:
        latency = "—" if r.latency_ms is None else f"{r.latency_ms:,.1f} ms"
        checked = "not yet" if r.checked_at is None else (
            f'{utc(r.checked_at)} <span class="muted">({ago(now - r.checked_at)})</span>')
        said = e(r.error) if r.error else ""
        if r.detail:
            said = f'{said}<div class="muted">{e(r.detail)}</div>' if said else e(r.detail)
        rows.append(
            f'<tr data-check="{e(r.name)}" data-status="{e(r.status)}">'
            f"<td>{light(r.status)}</td><td><b>{e(r.name)}</b>"
            f'<div class="muted">{e(r.kind)} · <code>{e(r.target)}</code></div></td>'
            f'<td class="num">{latency}</td><td class="num">{checked}</td>'
            f'<td class="err">{said}</td>'
            f"<td>{strip_html(snapshot.history.get(r.name, []), now - window_s, now)}</td></tr>")
    return ('<table class="hl-table"><thead><tr><th>Status</th><th>Check</th>'
            '<th class="num">Response</th><th class="num">Last checked (UTC)</th>'
            f"<th>Error / detail</th><th>Last {window_s / 3600:g} h</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def caches_html(caches: tuple[CacheInfo, ...], error: str | None) -> str:
    if error:
        return f'<div class="msg-bad">{e(error)}</div>'
    rows = []
    for c in caches:
        size = "in memory" if c.bytes is None else human_bytes(c.bytes)
        limit = "—" if c.limit_bytes is None else human_bytes(c.limit_bytes)
        rate = ("no reads yet" if c.hit_rate is None
                else f"{c.hit_rate:.0%} of {c.hits + c.misses:,}")
        problem = (f'<div class="msg-bad" style="margin-top:4px">Cannot be written: '
                   f"{e(c.problem)}</div>" if c.problem else "")
        rows.append(f'<tr data-cache="{e(c.name)}"><td><b>{e(c.name)}</b>'
                    f'<div class="muted">{e(c.description)}</div>{problem}</td>'
                    f'<td class="num">{c.entries:,}</td><td class="num">{size}</td>'
                    f'<td class="num">{limit}</td><td class="num">{rate}</td></tr>')
    return ('<table class="hl-table"><thead><tr><th>Cache</th><th class="num">Entries</th>'
            '<th class="num">Size</th><th class="num">Limit</th>'
            '<th class="num">Hit rate (this process)</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def process_html(p: ProcessInfo) -> str:
    def size(value: int | None) -> str:
        return "unknown" if value is None else human_bytes(value)

    items = [
        ("Version", e(p.version)), ("Process", f"pid {p.pid}"),
        ("Uptime", f"{duration(p.uptime_s)} (since {utc(p.started_at)} UTC)"),
        ("Sessions open", "unknown" if p.sessions is None else f"{p.sessions:,}"),
        ("Memory (RSS)", f"{size(p.rss_bytes)} <span class='muted'>(peak "
                         f"{size(p.peak_rss_bytes)})</span>"),
        ("Threads", f"{'unknown' if p.threads is None else p.threads} "
                    f"<span class='muted'>({p.python_threads} Python)</span>"),
    ]
    return '<div class="kv">' + "".join(
        f'<div class="k">{k}</div><div>{v}</div>' for k, v in items) + "</div>"


def _pane(**params) -> pn.pane.HTML:
    return pn.pane.HTML("", stylesheets=[STYLESHEET], sizing_mode="stretch_width",
                        margin=(0, 4), **params)


class HealthView(Viewer):
    model = param.ClassSelector(class_=HealthModel)
    period_s = param.Number(default=30.0, bounds=(0.1, None))

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self.header = _pane(css_classes=["dsa-health-overall"])
        self.checks = _pane(css_classes=["dsa-health-checks"])
        self.caches = _pane(css_classes=["dsa-health-caches"])
        self.process = _pane(css_classes=["dsa-health-process"])
        self.note = _pane()
        self.action = _pane(css_classes=["dsa-health-action"])
        self.plot = LatencyPlot(m.names, rollover=m.monitor.max_points)
        self.choice = pn.widgets.Select(
            label="Latency plot", options={"All checks": "", **{n: n for n in m.names}},
            value=m.check, width=260)
        self.choice.link(m, value="check")
        m.param.watch(self._chosen, ["check"])
        self.clear_buttons = {
            THUMBNAILS: pn.widgets.Button(label="Clear thumbnails", color="warning",
                                          css_classes=["dsa-clear-thumbnails"]),
            QUERIES: pn.widgets.Button(label="Clear query caches", color="warning",
                                       css_classes=["dsa-clear-queries"]),
            "all": pn.widgets.Button(label="Clear all caches", color="danger",
                                     css_classes=["dsa-clear-all"]),
        }
        for key, button in self.clear_buttons.items():
            button.on_click(lambda _event, key=key: self._clear(key))
        self.blocked = _pane(css_classes=["dsa-health-blocked"])
        self._busy = threading.Lock()
        self._identified = False
        self._address = client_address()  # now: callbacks run without the request
        self._loads = NewestOnly(self._fetch, self._show)
        # The blocked reason and an action's outcome change on worker threads: they are
        # shown with the next result (``_show``, in one batch), not by watchers.
        m.param.watch(self._render_note, ["input_notes"])
        self._render_note()
        for button in self.clear_buttons.values():
            button.disabled = True  # until the first load has found out who this is

    # ------------------------------------------------------------ loading
    def _fetch(self) -> HealthSnapshot:
        if not self._identified:
            self.model.identify_user()
            self._identified = True
        return self.model.fetch()

    def _show(self, snapshot: HealthSnapshot) -> None:
        self.model.apply(snapshot)
        self._render(snapshot)
        self._render_blocked()
        self._render_action()

    def tick(self) -> None:
        """Blocking (a worker thread); a tick that finds the previous one running is
        skipped."""
        if not self._busy.acquire(blocking=False):
            return
        try:
            self._loads.run()
        finally:
            self._busy.release()

    def _render(self, s: HealthSnapshot) -> None:
        monitor = self.model.monitor
        first = min((p.checked_at for points in s.history.values() for p in points),
                    default=None)
        kept = (f"history since {utc(first)} UTC" if first is not None
                else "no history yet")
        self.header.object = (
            f'<div style="display:flex;gap:18px;align-items:center;flex-wrap:wrap">'
            f'<div>{light(s.overall, big=True)}</div><div>'
            f"<div><b>{len(s.results)} checks</b>, each every {monitor.interval_s:g} s; "
            f"{kept} (kept {monitor.history_s / 3600:g} h in memory).</div>"
            f'<div class="muted">The overall status is the worst of the checks (unknown '
            f"only when none is known). Shown {utc(s.read_at)} UTC; the page reads the "
            f"latest results every {self.period_s:g} s.</div></div></div>")
        self.checks.object = checks_html(s, monitor.history_s)
        self.caches.object = caches_html(s.caches, s.cache_error)
        self.process.object = process_html(s.process)
        self.plot.show(s.history, self.model.check)

    def _chosen(self, *_events) -> None:
        check = self.model.check
        if self.choice.value != check:
            self.choice.value = check
        update_figure(self.plot.fig, lambda: self.plot.choose(check))

    def _render_note(self, *_events) -> None:
        notes = self.model.input_notes
        self.note.object = "".join(f'<div class="msg-bad" style="margin:4px 0">{e(n)}</div>'
                                   for n in notes)
        self.note.visible = bool(notes)

    def _render_blocked(self, *_events) -> None:
        reason = self.model.clear_blocked
        for button in self.clear_buttons.values():
            button.disabled = reason is not None
        self.blocked.object = f'<div class="muted">{e(reason)}</div>' if reason else ""
        self.blocked.visible = bool(reason)

    def _render_action(self, *_events) -> None:
        message = self.model.action_message
        kind = "msg-ok" if self.model.action_ok else "msg-bad"
        self.action.object = f'<div class="{kind}">{e(message)}</div>' if message else ""

    # ------------------------------------------------------------ actions
    def _clear(self, key: str) -> None:
        names = CACHES if key == "all" else (key,)
        for button in self.clear_buttons.values():
            button.disabled = True

        def work() -> None:
            try:
                self.model.clear(self._address, names)
            finally:
                snapshot = self.model.snapshot

                def show() -> None:
                    if snapshot is not None:
                        self._render(snapshot)
                    self._render_blocked()
                    self._render_action()

                update_together(show)

        run_in_background(work)

    def __panel__(self):
        def section(title: str, *objects) -> pn.Card:
            return pn.Card(*objects, title=title, collapsible=False,
                           sizing_mode="stretch_width", margin=(8, 4))

        layout = pn.Column(
            self.header,
            self.note,
            section("Services", self.checks),
            section("Response time", self.choice, pn.pane.Bokeh(
                self.plot.fig, sizing_mode="stretch_width")),
            pn.FlexBox(
                pn.Card(self.caches, pn.Row(*self.clear_buttons.values(), margin=(6, 0)),
                        self.blocked, self.action, title="Caches", collapsible=False,
                        sizing_mode="stretch_width", margin=(8, 4),
                        styles={"flex": "2 1 560px"}),
                pn.Card(self.process, title="This server process", collapsible=False,
                        sizing_mode="stretch_width", margin=(8, 4),
                        styles={"flex": "1 1 320px"}),
                sizing_mode="stretch_width"),
            sizing_mode="stretch_width", margin=0)
        self._loads.early()
        if is_served():
            pn.state.add_periodic_callback(self.tick, period=int(self.period_s * 1000))
        return layout
