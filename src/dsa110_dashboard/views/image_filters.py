"""The filter panel of /images: widgets bound both ways to ``ImageBrowserModel``."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from ..viewmodels.image_browser import ImageBrowserModel

_TEXT = {"sizing_mode": "stretch_width", "margin": (2, 4)}


def _text(model: ImageBrowserModel, name: str, label: str, placeholder: str = "",
          **kw) -> pn.widgets.TextInput:
    return pn.widgets.TextInput.from_param(model.param[name], label=label,
                                           placeholder=placeholder, **{**_TEXT, **kw})


def _pair(model, low: str, high: str, label: str, hint: str) -> pn.Column:
    return pn.Column(
        pn.pane.HTML(f"<b>{label}</b>", margin=(6, 4, 0, 4)),
        pn.Row(_text(model, low, "min", hint, width=110, sizing_mode=None),
               _text(model, high, "max", hint, width=110, sizing_mode=None), margin=0),
        margin=0, sizing_mode="stretch_width")


class ImageFiltersView(Viewer):
    model = param.ClassSelector(class_=ImageBrowserModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self.types = pn.widgets.MultiChoice.from_param(
            m.param.types, label="Type", options=list(m.type_options), **_TEXT)
        self.grades = pn.widgets.MultiChoice.from_param(
            m.param.grades, label="QA grade (latest measured)", options=list(m.grade_options),
            **_TEXT)
        self.clear = pn.widgets.Button(label="Clear filters", sizing_mode="stretch_width",
                                       margin=(8, 4))
        self.clear.on_click(lambda _e: m.clear_filters())
        # Images whose dec/noise/dynamic range nobody knows: say how many the filters
        # left out, and let them in (URL with_unknown=1).
        self.with_unknown = pn.widgets.Checkbox.from_param(
            m.param.with_unknown, name="Include images with unknown values",
            margin=(2, 4), visible=False)
        self.unknown_note = pn.pane.HTML("", margin=(0, 4), visible=False,
                                         css_classes=["unknown-note"],
                                         styles={"font-size": "0.85em"})
        self.summary_note = pn.pane.HTML("", margin=(0, 4), visible=False,
                                         styles={"font-size": "0.8em", "opacity": "0.75"})
        m.param.watch(self._unknown, ["unknown_counts", "with_unknown", "summary_available"])
        self._unknown()
        m.param.watch(self._options, ["type_options"])
        self._layout = pn.Column(
            pn.pane.HTML("<h3 style='margin:4px 4px 0 4px'>Filters</h3>", margin=0),
            _text(m, "time_from", "From (MJD or UTC date)", "60962.5 or 2025-10-14"),
            _text(m, "time_to", "To (MJD or UTC date)", "60963 or 2025-10-15T06:00"),
            self.types,
            _text(m, "field", "Field (exact name)", "drift_dec+54.57"),
            _pair(m, "dec_min", "dec_max", "Centre Dec (°)", "deg"),
            _pair(m, "noise_min", "noise_max", "Noise (mJy/beam)", "mJy/beam"),
            _pair(m, "dr_min", "dr_max", "Dynamic range", ""),
            self.unknown_note,
            self.with_unknown,
            self.summary_note,
            self.grades,
            _text(m, "search", "Path contains", "e.g. pbcor or 2025-10-14"),
            self.clear,
            pn.pane.HTML("<div style='font-size:0.8em;opacity:0.75;margin:2px 4px'>"
                         "Text fields apply on Enter or when you leave them. "
                         "The URL keeps the whole search: copy it to share this view.</div>",
                         margin=0),
            width=250, margin=(0, 12, 0, 0))

    def _unknown(self, *_events) -> None:
        m = self.model
        text = m.unknown_text
        self.unknown_note.object = text
        self.unknown_note.visible = bool(text)
        self.with_unknown.visible = bool(text) or m.with_unknown
        self.summary_note.object = m.summary_note
        self.summary_note.visible = bool(m.summary_note)

    def _options(self, *_events) -> None:
        self.types.options = list(self.model.type_options)

    def __panel__(self):
        return self._layout
