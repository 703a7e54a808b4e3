"""Keeps one ``OverviewModel`` current in a served session, off the event loop.

Every card calls ``attach(model)``; the first call per model registers the work, so a
page of seven cards sharing one model makes one fetch, and a card shown alone still
updates itself. In a session: a full fetch on load, then every ``CHECK_MS`` a cheap
check of the latest image id that advances the ages ("3 min ago") and fetches again
when a new image arrived, the database came back, or the figures are older than
``FULL_REFRESH_S``. Outside a session (a notebook) the model is fetched once, in place.
"""

from __future__ import annotations

import asyncio
import weakref

import panel as pn

from ...viewmodels.overview import OverviewModel

CHECK_MS = 20_000
FULL_REFRESH_S = 120.0

_attached: weakref.WeakSet[OverviewModel] = weakref.WeakSet()


def in_session() -> bool:
    doc = pn.state.curdoc
    return doc is not None and doc.session_context is not None


async def full_refresh(model: OverviewModel) -> None:
    if model.refreshing:
        return
    model.refreshing = True
    try:
        result = await asyncio.to_thread(model.fetch)
        with pn.io.hold():
            model.apply(result)
    finally:
        model.refreshing = False


async def tick(model: OverviewModel) -> None:
    if model.refreshing:
        return
    result = await asyncio.to_thread(model.check)
    with pn.io.hold():
        stale = model.needs_refresh(result, FULL_REFRESH_S)
    if stale:
        await full_refresh(model)


def attach(model: OverviewModel) -> None:
    if model in _attached:
        return
    _attached.add(model)
    if in_session():
        async def load() -> None:
            await full_refresh(model)

        async def check() -> None:
            await tick(model)

        pn.state.onload(load)
        pn.state.add_periodic_callback(check, period=CHECK_MS)
    elif model.snapshot is None:
        model.refresh()
