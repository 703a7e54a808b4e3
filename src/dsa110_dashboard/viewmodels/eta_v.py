"""State of the eta-V plot: every source's (eta, V), the two thresholds, the selection.

The plot works in log10 space (its bulk is an image of counts, which Bokeh cannot put
on log axes): ``log_eta``/``log_v`` hold log10 of the positive, finite values; a source
whose eta or V is undefined, zero or negative (a negative mean flux gives a negative V)
cannot be placed on a log axis and is counted in ``n_unplottable``, not hidden
silently.

Candidates are the sources at or above both thresholds. Thresholds are typed (defaults
eta 1.5, V 0.1; science.md), dragged on the plot, or the preset ``mean + k sigma`` of each
metric's log10 distribution.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import param

from ..db.engine import Database
from ..errors import DashboardError
from ..repositories.variability import VariabilityRepository

DEFAULT_ETA = 1.5
DEFAULT_V = 0.1
DEFAULT_K = 2.0
POINT_COLUMNS = ["source_id", "eta", "v", "n_obs", "mean_flux_mjy", "ese_status",
                 "log_eta", "log_v"]


def log_points(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The plottable points with log10 columns, and how many could not be plotted."""
    eta = pd.to_numeric(frame["eta"], errors="coerce").to_numpy(float)
    v = pd.to_numeric(frame["v"], errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(eta) & np.isfinite(v) & (eta > 0) & (v > 0)
    out = frame.loc[ok, [c for c in POINT_COLUMNS[:6] if c in frame]].copy()
    out["log_eta"] = np.log10(eta[ok])
    out["log_v"] = np.log10(v[ok])
    return out.reset_index(drop=True), int((~ok).sum())


def sigma_thresholds(points: pd.DataFrame, k: float) -> tuple[float, float]:
    """(eta, V) at mean + k sigma of log10 eta and log10 V (sample std)."""
    if len(points) < 2:
        raise ValueError("need at least two plottable sources")
    le, lv = points["log_eta"].to_numpy(), points["log_v"].to_numpy()
    return (float(10 ** (le.mean() + k * le.std(ddof=1))),
            float(10 ** (lv.mean() + k * lv.std(ddof=1))))


class EtaVModel(param.Parameterized):
    eta_threshold = param.Number(default=DEFAULT_ETA, bounds=(0, None), inclusive_bounds=(False, True),
                                 doc="Candidates have eta at or above this.")
    v_threshold = param.Number(default=DEFAULT_V, bounds=(0, None), inclusive_bounds=(False, True),
                               doc="Candidates have V at or above this.")
    k = param.Number(default=DEFAULT_K, bounds=(0, 10), doc="k of the mean + k sigma preset.")
    selected = param.String(default=None, allow_None=True, doc="Source picked on the plot.")

    points = param.DataFrame(default=pd.DataFrame(columns=POINT_COLUMNS),
                             doc="Plottable sources with log10 eta and V.")
    n_unplottable = param.Integer(default=0)
    n_total = param.Integer(default=0)
    error = param.String(default=None, allow_None=True)
    loaded = param.Boolean(default=False)
    v_note = param.String(default="", doc="Where V comes from, when not from our table.")
    input_notes = param.List(default=[], item_type=str,
                             doc="Ignored URL values (views.urlstate); cleared when the user "
                                 "moves a threshold.")

    QUERY = ("eta_threshold", "v_threshold", "k", "selected")

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.repo = VariabilityRepository(db)
        self._positions_of: tuple[pd.DataFrame | None, dict[str, int]] = (None, {})
        self.param.watch(lambda *_e: self.param.update(input_notes=[]),
                         ["eta_threshold", "v_threshold", "k"])

    # ------------------------------------------------------------------ data
    def fetch(self) -> pd.DataFrame | DashboardError:
        """Blocking: run it in a worker thread."""
        try:
            return self.repo.eta_points()
        except DashboardError as exc:
            return exc

    def apply(self, result: pd.DataFrame | DashboardError) -> None:
        if isinstance(result, DashboardError):
            self.param.update(error=result.user_message, loaded=True)
            return
        points, bad = log_points(result)
        self.param.update(points=points, n_unplottable=bad, n_total=len(result),
                          error=None, loaded=True, v_note=v_origin_note(result))

    def refresh(self) -> None:
        self.apply(self.fetch())

    # ------------------------------------------------------------- thresholds
    def candidate_mask(self) -> np.ndarray:
        p = self.points
        return ((p["eta"].to_numpy(float) >= self.eta_threshold)
                & (p["v"].to_numpy(float) >= self.v_threshold))

    @property
    def candidates(self) -> pd.DataFrame:
        return self.points[self.candidate_mask()].reset_index(drop=True)

    @property
    def bulk(self) -> pd.DataFrame:
        return self.points[~self.candidate_mask()].reset_index(drop=True)

    def apply_sigma_preset(self) -> None:
        """Both thresholds to mean + k sigma of the log distributions."""
        eta, v = sigma_thresholds(self.points, self.k)
        self.param.update(eta_threshold=_round(eta), v_threshold=_round(v))

    def reset_thresholds(self) -> None:
        self.param.update(eta_threshold=DEFAULT_ETA, v_threshold=DEFAULT_V)

    def move_threshold(self, name: str, log_value: float | None) -> None:
        """From a threshold line dragged on the plot: ``name`` is ``eta_threshold`` or
        ``v_threshold``, ``log_value`` the line's new place (log10, the plot's units);
        rounded like a preset, to a value a person can read and retype."""
        if name not in ("eta_threshold", "v_threshold"):
            raise ValueError(f"not a threshold: {name}")
        if log_value is None or not math.isfinite(log_value):
            return
        value = _round(10 ** log_value)
        if value > 0 and math.isfinite(value):
            setattr(self, name, value)

    def set_thresholds_at(self, log_eta: float, log_v: float) -> None:
        """From a click on the plot (log10 coordinates)."""
        if math.isfinite(log_eta) and math.isfinite(log_v):
            self.param.update(eta_threshold=_round(10 ** log_eta),
                              v_threshold=_round(10 ** log_v))

    # -------------------------------------------------------------- selection
    def nearest(self, log_eta: float, log_v: float, x_span: float, y_span: float,
                tolerance: float = 0.02) -> str | None:
        """The source nearest a click, when within ``tolerance`` of the visible axis
        spans (so a click on empty space selects nothing)."""
        p = self.points
        if p.empty or not (math.isfinite(log_eta) and math.isfinite(log_v)):
            return None
        dx = (p["log_eta"].to_numpy() - log_eta) / max(x_span, 1e-9)
        dy = (p["log_v"].to_numpy() - log_v) / max(y_span, 1e-9)
        d2 = dx * dx + dy * dy
        i = int(np.argmin(d2))
        return str(p["source_id"].iat[i]) if d2[i] <= tolerance ** 2 else None

    def select_at(self, log_eta, log_v, x_span, y_span) -> str | None:
        self.selected = self.nearest(log_eta, log_v, x_span, y_span)
        return self.selected

    def rows_of(self, source_ids) -> pd.DataFrame:
        """The points of ``source_ids`` (those plotted), in the points' order. Through a
        position per id made once per set of points: the cursor's ring asks on every
        change of the source under it, and a scan of 100,000 ids took ~5 ms each time."""
        p = self.points
        if self._positions_of[0] is not p:
            self._positions_of = (p, {sid: i for i, sid in enumerate(p["source_id"])})
        positions = self._positions_of[1]
        return p.iloc[sorted({positions[s] for s in source_ids if s in positions})]

    def selected_row(self) -> dict | None:
        if not self.selected:
            return None
        rows = self.rows_of([self.selected])
        return None if rows.empty else rows.iloc[0].to_dict()


def _round(value: float) -> float:
    """Three significant figures: a threshold a person can read and retype."""
    if value <= 0 or not math.isfinite(value):
        return value
    return float(f"{value:.3g}")


def v_origin_note(points: pd.DataFrame) -> str:
    """Empty when V comes from our dash_variability table (it carries the two-epoch
    statistics too); otherwise the fallback, and how an operator gets the real thing."""
    ours = "vs_max" in points and points["vs_max"].notna().any()
    if ours or points.empty:
        return ""
    return ("V here is std/mean of the pipeline's stored statistics: this database has no "
            "dashboard variability statistics yet (an operator runs `dsa110-dash db "
            "upgrade` and `dsa110-dash variability`).")
