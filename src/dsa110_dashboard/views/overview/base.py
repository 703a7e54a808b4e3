"""What every overview card shares: the model, its refresh, the loading indicator."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from ...viewmodels.overview import OverviewModel
from .refresh import attach
from .style import card, html_pane


class OverviewCard(Viewer):
    """A card bound to an ``OverviewModel``; subclasses build ``body`` and ``render``."""

    model = param.ClassSelector(class_=OverviewModel)

    title = "Overview"
    flex = "1 1 440px"
    #: Model parameters whose change re-renders the card.
    watches = ("snapshot", "error")

    def __init__(self, **params):
        super().__init__(**params)
        self._card = card(self.title, *self.body(), flex=self.flex)
        self.model.param.watch(self._rerender, list(self.watches))
        self.model.param.watch(self._loading, ["refreshing"])
        self._rerender()

    def body(self) -> list:
        raise NotImplementedError

    def render(self) -> None:
        raise NotImplementedError

    def _rerender(self, *_events) -> None:
        self.render()

    def _loading(self, *_events) -> None:
        # Spin only while nothing is on screen yet; periodic refreshes do not flash.
        self._card.loading = self.model.refreshing and self.model.snapshot is None

    @staticmethod
    def set_html(pane: pn.pane.HTML, text: str) -> None:
        """Send HTML only when it changed (an unchanged <img> is not reloaded)."""
        if pane.object != text:
            pane.object = text

    def __panel__(self):
        attach(self.model)
        return self._card


class HtmlCard(OverviewCard):
    """A card whose body is one HTML block made from the model's snapshot."""

    #: Shown until the first snapshot arrives.
    waiting = "Reading the database…"

    def body(self) -> list:
        self._html = html_pane()
        return [self._html]

    def render(self) -> None:
        snapshot = self.model.snapshot
        text = (f'<div class="ov-muted">{self.waiting}</div>' if snapshot is None
                else self.html(snapshot))
        self.set_html(self._html, text)

    def html(self, snapshot) -> str:
        raise NotImplementedError


class PlotCard(OverviewCard):
    """A card with one plot and a note under it, redrawn only when its data changed.

    The plot (a plain Bokeh figure) is built at the first data, not before: an empty
    figure in the first render delays the page, and streaming data into it (a Pipe)
    measured no faster.
    """

    plot_height = 340

    def body(self) -> list:
        self._plot = pn.pane.Bokeh(None, sizing_mode="stretch_width",
                                   height=self.plot_height)
        self._note = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 10))
        self._shown = None
        return [self._plot, self._note]

    def render(self) -> None:
        snapshot = self.model.snapshot
        if snapshot is None:
            return
        key = self.data_key(snapshot)
        if key == self._shown:
            return
        self._shown = key
        self._plot.object, self._note.object = self.draw(snapshot)

    def data_key(self, snapshot) -> object:
        """What the plot shows; an unchanged key skips the redraw."""
        raise NotImplementedError

    def draw(self, snapshot) -> tuple[object, str]:
        """The plot and its note."""
        raise NotImplementedError
