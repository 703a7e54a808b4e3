"""The funnel over time on /ms: how many observations of each hour (or UTC night) sit in
each stage now, over the last 24 hours, 7 nights or 30 nights (``history`` in the URL).
The window ends now, or at the newest observation of a database that stopped.
No Panel here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..repositories.ms_funnel import MeasurementSetFunnel, stage_order

#: URL value -> (label, window in days, bin in days).
WINDOWS = {"24h": ("Last 24 h, per hour", 1.0, 1 / 24),
           "7n": ("Last 7 nights, per night", 7.0, 1.0),
           "30n": ("Last 30 nights, per night", 30.0, 1.0)}


@dataclass(frozen=True)
class FunnelHistory:
    window: str
    end_mjd: float
    #: One row per bin start (MJD) and stage with its count; stages in pipeline order.
    counts: pd.DataFrame


def funnel_history(funnel: MeasurementSetFunnel, window: str, now_mjd: float) -> FunnelHistory:
    _label, days, step = WINDOWS[window]
    latest = funnel.latest_mjd()
    end = now_mjd if latest is None or latest >= now_mjd - days else latest
    # Bins on whole hours / UTC midnights, so that a bar is "the night of 2025-10-17".
    end_bin = np.floor(end / step) * step
    start = end_bin - (round(days / step) - 1) * step
    rows = funnel.history(start, end)
    if rows.empty:
        counts = pd.DataFrame(columns=["bin_mjd", "stage", "count"])
    else:
        rows = rows.assign(bin_mjd=np.floor(rows["mid_mjd"].astype(float) / step) * step,
                           stage=rows["stage"].fillna("(no stage)"))
        counts = rows.groupby(["bin_mjd", "stage"]).size().reset_index(name="count")
        order = {s: stage_order(None if s == "(no stage)" else s) for s in counts["stage"]}
        counts = counts.sort_values(["bin_mjd", "stage"],
                                    key=lambda c: c.map(order) if c.name == "stage" else c,
                                    ignore_index=True)
    return FunnelHistory(window=window, end_mjd=float(end), counts=counts)

