"""A table of the database's row counts, refreshed off the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt

import panel as pn
import param
from panel.viewable import Viewer

from ..viewmodels.row_counts import RowCountsModel

REFRESH_MS = 15_000


class RowCountsView(Viewer):
    model = param.ClassSelector(class_=RowCountsModel)

    def __init__(self, **params):
        super().__init__(**params)
        self._banner = pn.pane.Alert("", alert_type="danger", visible=False,
                                     sizing_mode="stretch_width")
        self._table = pn.widgets.Tabulator(
            self.model.counts, disabled=True, show_index=False, sizing_mode="stretch_width")
        self._stamp = pn.pane.Markdown("Counting rows…")
        self._button = pn.widgets.Button(label="Refresh")
        self._button.on_click(self._on_click)
        self.model.param.watch(self._render, ["counts", "error", "loaded_at"])
        self._layout = pn.Column(self._banner, pn.Row(self._button, self._stamp),
                                 self._table, sizing_mode="stretch_width")
        self._render()

    async def refresh(self) -> None:
        self._table.loading = True
        try:
            result = await asyncio.to_thread(self.model.fetch)
            self.model.apply(result)
        finally:
            self._table.loading = False

    async def _on_click(self, _event) -> None:
        await self.refresh()

    def _render(self, *_events) -> None:
        self._table.value = self.model.counts
        error = self.model.error
        self._banner.object = f"**Database unavailable.** {error} Retrying automatically."\
            if error else ""
        self._banner.visible = bool(error)
        if self.model.loaded_at:
            stamp = dt.datetime.fromtimestamp(self.model.loaded_at, dt.timezone.utc)
            self._stamp.object = f"Counted at {stamp:%Y-%m-%d %H:%M:%S} UTC"

    def __panel__(self):
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.onload(self.refresh)
            pn.state.add_periodic_callback(self.refresh, period=REFRESH_MS)
        else:
            self.model.refresh()
        return self._layout
