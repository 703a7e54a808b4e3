"""The image page's "People's flags" card: good / bad / unsure with a note, and the
history (the newest flag is the current one; the older ones stay listed).

The control is disabled with the reason when nobody is signed in or the database cannot
be written (``ImageFlagsModel.blocked``). Saving runs off the event loop.
"""

from __future__ import annotations

import html

import panel as pn
import param
from panel.viewable import Viewer

from ..science.qa import FLAG_VERDICTS
from ..science.times import format_unix
from ..viewmodels.image_flags import ImageFlagsModel
from .background import run_in_background, update_together
from .image_table import flag_badge

FLAGS_CSS = """
table.dsa-flag-history { border-collapse: collapse; width: 100%; font-size: 0.9em; }
table.dsa-flag-history th { text-align: left; padding: 3px 8px 3px 0;
  border-bottom: 1px solid rgba(127,127,127,0.4); }
table.dsa-flag-history td { padding: 3px 8px 3px 0; vertical-align: top; }
table.dsa-flag-history tr.dsa-superseded td { opacity: 0.6; }
.dsa-note { font-size: 0.85em; opacity: 0.8; margin: 4px 0; }
.dsa-flag-current { margin: 2px 0 6px 0; }
"""


def history_html(model: ImageFlagsModel) -> str:
    frame = model.history
    if frame is None or frame.empty:
        return "<div class='dsa-note'>Nobody has flagged this image.</div>"
    rows = []
    for r in frame.to_dict("records"):
        superseded = "" if r["current"] else " class='dsa-superseded'"
        state = "current" if r["current"] else "superseded"
        rows.append(
            f"<tr{superseded}><td>{flag_badge(r['verdict'])}</td>"
            f"<td>{html.escape(str(r['user']))}</td>"
            f"<td style='white-space:nowrap'>{html.escape(format_unix(r['created_at']) or '')}"
            f"</td><td>{html.escape(str(r['note'] or ''))}</td><td>{state}</td></tr>")
    return ("<table class='dsa-flag-history'><tr><th>Verdict</th><th>By</th>"
            "<th>When (UTC)</th><th>Note</th><th></th></tr>" + "".join(rows) + "</table>")


def current_html(model: ImageFlagsModel) -> str:
    c = model.current
    if not c:
        return "<div class='dsa-flag-current dsa-note'>Not flagged.</div>"
    note = f" — “{html.escape(c['note'])}”" if c.get("note") else ""
    return (f"<div class='dsa-flag-current'>Current flag: {flag_badge(c['verdict'])} by "
            f"{html.escape(str(c['user']))}, {html.escape(format_unix(c['created_at']) or '')}"
            f"{note}</div>")


class ImageFlagsView(Viewer):
    model = param.ClassSelector(class_=ImageFlagsModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        css = [FLAGS_CSS]
        self.current = pn.pane.HTML(current_html(m), stylesheets=css,
                                    sizing_mode="stretch_width", css_classes=["dsa-flag-now"])
        # Outline style as on the source page: the chosen verdict is filled in both themes.
        self.verdict = pn.widgets.RadioButtonGroup.from_param(
            m.param.verdict, options=list(FLAG_VERDICTS), color="primary", variant="outline",
            css_classes=["dsa-flag-verdict"], margin=(4, 6))
        self.note = pn.widgets.TextInput.from_param(
            m.param.note, name="", placeholder="Note (why; optional, up to 2000 characters)",
            sizing_mode="stretch_width", css_classes=["dsa-flag-note"])
        self.save = pn.widgets.Button(label="Save flag", color="primary", width=110,
                                      css_classes=["dsa-flag-save"])
        self.save.on_click(lambda _e: run_in_background(self._submit))
        self.blocked = pn.pane.Alert("", alert_type="secondary", visible=False,
                                     sizing_mode="stretch_width", css_classes=["dsa-flag-blocked"])
        self.message = pn.pane.HTML("", visible=False, sizing_mode="stretch_width",
                                    css_classes=["dsa-flag-message"])
        self.history = pn.pane.HTML(history_html(m), stylesheets=css,
                                    sizing_mode="stretch_width", css_classes=["dsa-flag-history"])
        m.param.watch(self._render, ["current", "history", "blocked", "message", "message_ok"])
        self._render()

    def _submit(self) -> None:
        """Blocking (a worker thread): store, then show the result in one batch."""
        m = self.model
        update_together(lambda: setattr(self.save, "disabled", True))
        state = m.store()

        def show() -> None:
            m.apply(state)
            self.save.disabled = bool(m.blocked)

        update_together(show)

    def _render(self, *_events) -> None:
        m = self.model
        blocked = bool(m.blocked)
        self.current.object = current_html(m)
        self.history.object = history_html(m)
        for widget in (self.verdict, self.note, self.save):
            widget.disabled = blocked
        self.blocked.object = html.escape(m.blocked or "")
        self.blocked.visible = blocked
        if m.message and not blocked:
            colour = "#2e7d32" if m.message_ok else "#d32f2f"
            self.message.object = (f"<span style='color:{colour}'>"
                                   f"{html.escape(m.message)}</span>")
            self.message.visible = True
        else:
            self.message.visible = False

    def __panel__(self):
        return pn.Column(
            self.current, self.blocked,
            pn.Row(self.verdict, self.save, margin=0),
            self.note, self.message,
            pn.pane.HTML("<h4 style='margin:8px 0 2px 0'>History</h4>", margin=(0, 6)),
            self.history, sizing_mode="stretch_width", margin=0)
