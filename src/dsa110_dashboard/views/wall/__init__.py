"""The wall display (``/wall``): a ``WallModel`` drawn by ``WallDisplay`` (decision 0061).

``WallPage`` keeps the model current off the event loop (``NewestOnly``: a first load
with the page, then every ``refresh_s``), redraws the wall's HTML when the model
changes, and sends the browser a heartbeat every ``beat_ms`` so that its watchdog can
tell a live session from a lost one.
"""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from ...viewmodels.wall import WallModel
from ..background import NewestOnly, is_served, update_together
from .display import WallDisplay
from .render import wall_html

__all__ = ["WallDisplay", "WallPage", "wall_html"]

BEAT_MS = 5_000


class WallPage(Viewer):
    model = param.ClassSelector(class_=WallModel)
    refresh_s = param.Number(default=30.0, bounds=(0.5, None))
    beat_ms = param.Integer(default=BEAT_MS, bounds=(500, None))

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._display = WallDisplay(content={"html": wall_html(m)},
                                    rotate_ms=int(m.rotate_seconds * 1000),
                                    beat_ms=self.beat_ms, sizing_mode="stretch_width",
                                    height=10, margin=0)
        m.param.watch(self._redraw, ["snapshot", "error", "now", "input_notes"])
        self._loader = NewestOnly(m.fetch, m.apply)
        self._started = False

    def _redraw(self, *_events) -> None:
        text = wall_html(self.model)
        if text != self._display.content["html"]:
            self._display.content = {"html": text}

    def _beat(self) -> None:
        update_together(lambda: setattr(self._display, "beat", self._display.beat + 1))

    def __panel__(self):
        if not self._started:
            self._started = True
            if is_served():
                self._loader.early()
                pn.state.add_periodic_callback(self._loader.run,
                                               period=int(self.refresh_s * 1000))
                pn.state.add_periodic_callback(self._beat, period=self.beat_ms)
            else:
                self._loader.run()
        return self._display
