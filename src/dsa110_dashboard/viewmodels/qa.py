"""State of /qa: QA trends over a time range and declination strip.

``start``/``end`` are what the person typed (an MJD or an ISO UTC date/time; empty: the
last ``DEFAULT_DAYS`` days to now), ``dec_min``/``dec_max`` the strip (None: any). The
blocking ``fetch`` reads every image of the range once; the plots, the grade counts, the
nights' table and the worst images are all derived from that one frame. Picking (the
image nearest a click) and box selection work on the whole frame, not on what a plot
drew. No Panel here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import param

from ..db.engine import Database
from ..errors import DashboardError, DatabaseUnavailableError, InvalidInputError
from ..queries.image_query import parse_time
from ..repositories.cal_registry import CalibrationRegistry
from ..repositories.qa_trends import (
    MAX_SPAN_DAYS,
    POINT_COLUMNS,
    QATrends,
    calibrator_ratios,
)
from ..repositories.flags import ImageFlags
from ..science.noise import expected_noise_mjy
from ..science.qa import FLAG_VERDICTS, GRADES, MEASURED, UNKNOWN_GRADE
from ..science.times import mjd_to_unix, unix_to_mjd


DEFAULT_DAYS = 7.0
QUERY_PARAMS = {"start": "from", "end": "to", "dec_min": "dec_min", "dec_max": "dec_max"}
#: The plots' sections (tabs), the first shown by default; their plots are built only
#: once a section is opened (decision 0072).
SECTIONS = {"image": "Image quality", "beam": "Beam and sources",
            "calibration": "Calibration"}
#: Every parameter in the URL: the query, and which section of plots is open.
URL_PARAMS = {**QUERY_PARAMS, "section": "plots"}
#: Worst images shown as thumbnails.
WORST_N = 12
#: Severity of a grade for "the worst images" (science/qa.py lists grades best first);
#: unknown is no evidence of a bad image, so it ranks below every known grade.
SEVERITY = {g: (-1 if g == UNKNOWN_GRADE else i) for i, g in enumerate(GRADES)}


def image_url(image_id) -> str:
    return f"/images/{int(image_id)}"


@dataclass(frozen=True)
class Loaded:
    """One fetch's result: everything the page shows for one query."""

    query: tuple
    start_mjd: float
    end_mjd: float
    points: pd.DataFrame
    unmeasured: tuple[str, ...]
    cal_cells: pd.DataFrame | None
    calibrators: pd.DataFrame | None
    flags: dict


class QAModel(param.Parameterized):
    start = param.String(default="", doc="From: MJD or ISO UTC; empty: DEFAULT_DAYS ago.")
    end = param.String(default="", doc="To: MJD or ISO UTC; empty: now.")
    dec_min = param.Number(default=None, allow_None=True, bounds=(-90, 90))
    dec_max = param.Number(default=None, allow_None=True, bounds=(-90, 90))
    section = param.Selector(default="image", objects=list(SECTIONS),
                             doc="The section of plots shown (not part of the query).")

    loaded = param.ClassSelector(class_=Loaded, default=None, allow_None=True)
    error = param.String(default=None, allow_None=True)
    input_notes = param.List(default=[])
    #: Images in the box the person drew (ids), for flagging.
    selection = param.List(default=[])
    action_message = param.String(default=None, allow_None=True)
    action_ok = param.Boolean(default=False)
    #: Why flagging is disabled (None: allowed), decided once the user is known.
    flag_block = param.String(default=None, allow_None=True)

    def __init__(self, db: Database, identify=None, now=time.time, **params):
        """``identify`` (blocking) names the signed-in user: None with sign-in off,
        "" when the session cannot be read."""
        super().__init__(**params)
        self.db = db
        self.trends = QATrends(db)
        self._identify = identify
        self._series_cache: dict = {}  # see series()
        self._now = now
        self.user: str | None = None

    # ------------------------------------------------------------------ query
    @property
    def query(self) -> tuple:
        return tuple(getattr(self, name) for name in QUERY_PARAMS)

    def time_range(self) -> tuple[float, float]:
        """(start, end) MJD; InvalidInputError naming ``from`` or ``to``."""
        now = unix_to_mjd(self._now())
        end = parse_time(self.end, "to", end_of_day=True)
        end = now if end is None else end
        start = parse_time(self.start, "from")
        start = end - DEFAULT_DAYS if start is None else start
        if not end > start:
            raise InvalidInputError("to: must be after from", parameter="to")
        if end - start > MAX_SPAN_DAYS:
            raise InvalidInputError(f"to: the range may span at most {MAX_SPAN_DAYS:g} days",
                                    parameter="to")
        return start, end

    def strip(self) -> tuple[float | None, float | None]:
        lo, hi = self.dec_min, self.dec_max
        if lo is not None and hi is not None and lo > hi:
            raise InvalidInputError("dec_max: must be at least dec_min", parameter="dec_max")
        return lo, hi

    # ---------------------------------------------------------------- loading
    def fetch(self) -> Loaded | DashboardError:
        """Blocking: the range's images with their QA, calibration QA and calibrators."""
        query = self.query
        try:
            start, end = self.time_range()
            lo, hi = self.strip()
            points = self.trends.points(start, end, lo, hi)
            unmeasured = tuple(self.trends.unmeasured())
            cells = CalibrationRegistry(self.db).qa_since(
                mjd_to_unix(start), limit=20_000, until_unix=mjd_to_unix(end + 1.0))
            if cells is not None:
                cells = cells[(cells["mjd"] >= start) & (cells["mjd"] <= end)]
            calibrators = calibrator_ratios(self.db, start, end)
            flags = self._flags(points)
        except (InvalidInputError, DatabaseUnavailableError) as exc:
            return exc
        points = points.copy()
        points["expected_noise"] = expected_noise_mjy(points["integration_sec"],
                                                      points["bandwidth_mhz"])
        points["flag"] = [flags.get(int(i)) for i in points["image_id"]]
        return Loaded(query=query, start_mjd=start, end_mjd=end, points=points,
                      unmeasured=unmeasured, cal_cells=cells, calibrators=calibrators,
                      flags=flags)

    def _flags(self, points: pd.DataFrame) -> dict[int, str]:
        """Each image's current verdict (good, bad, unsure), for those that have one."""
        if points.empty:
            return {}
        current = ImageFlags(self.db).current([int(i) for i in points["image_id"]])
        return {int(k): _verdict(v) for k, v in current.items()}

    def apply(self, result: Loaded | DashboardError) -> None:
        if isinstance(result, DashboardError):
            self.param.update(error=result.user_message, loaded=None)
            return
        self.param.update(loaded=result, error=None, selection=[])

    def refresh(self) -> None:
        self.apply(self.fetch())

    def who(self) -> tuple[str | None, str | None]:
        """Blocking, no model change: (who is signed in, why flagging is blocked)."""
        user = self._identify() if self._identify is not None else self.user
        return user, self.flag_block_reason(user)

    def identify_user(self) -> None:
        """Blocking: who is signed in, and so whether flagging is allowed."""
        self.show_user(self.who())

    def show_user(self, who: tuple[str | None, str | None]) -> None:
        """Model changes only: ``who()``'s answer."""
        self.user, self.flag_block = who

    def flag_block_reason(self, user: str | None | object = ...) -> str | None:
        user = self.user if user is ... else user
        if user is None:
            return ("Sign-in is off: flags record who set them, so flagging needs a "
                    "signed-in user (DSA110_DASH_BASIC_AUTH).")
        if user == "":
            return "Sign in to flag images."
        return ImageFlags(self.db).writable_reason()

    # ---------------------------------------------------------------- derived
    @property
    def points(self) -> pd.DataFrame:
        if self.loaded is None:
            return pd.DataFrame(columns=[*POINT_COLUMNS, "expected_noise", "flag"])
        return self.loaded.points

    def grade_counts(self) -> dict[str, dict[str, int]]:
        """Images per grade, per kind of grade (measured, derived from DR)."""
        out: dict[str, dict[str, int]] = {}
        pts = self.points
        for (kind, grade), n in pts.groupby(["grade_kind", "grade"]).size().items():
            out.setdefault(str(kind), {})[str(grade)] = int(n)
        return out

    def nights(self) -> pd.DataFrame:
        """One row per UTC night: images, median noise, worst (lowest) dynamic range,
        the grades counted, flags counted."""
        cols = ["night", "images", "median_noise", "worst_dr", "grades", "flags"]
        pts = self.points
        if pts.empty:
            return pd.DataFrame(columns=cols)
        # UTC nights as whole MJDs, aggregated in one pass per column (a year has 365
        # nights: a Python step per night and column cost a tenth of the page's render).
        night = pd.Series(np.floor(pts["mjd"].to_numpy(float)).astype(np.int64),
                          index=pts.index, name="night")
        by_night = pts.groupby(night, sort=True)
        images = by_night.size()
        median_noise = by_night["noise"].median()
        worst_dr = by_night["dynamic_range"].min()
        grades = pts.groupby([night, pts["grade"]]).size()
        is_flag = pts["flag"].map(lambda f: isinstance(f, str))
        flags = pts[is_flag].groupby([night[is_flag], pts["flag"][is_flag]]).size()
        # A few counts per night: a dict by plain iteration (a groupby per night and a
        # droplevel each copied the whole index every time).
        grades_by: dict = {}
        for (day, grade), n in grades.items():
            grades_by.setdefault(day, {})[grade] = n
        flags_by: dict = {}
        for (day, flag), n in flags.items():
            flags_by.setdefault(day, {})[flag] = n
        rows = []
        for mjd_day, n in images.items():
            day = pd.Timestamp(mjd_to_unix(float(mjd_day)), unit="s").date()
            noise, dr = median_noise.get(mjd_day), worst_dr.get(mjd_day)
            counts = grades_by.get(mjd_day, {})
            rows.append({
                "night": str(day), "images": int(n),
                "median_noise": float(noise) if pd.notna(noise) else None,
                "worst_dr": float(dr) if pd.notna(dr) else None,
                "grades": {g: int(counts[g]) for g in GRADES if g in counts},
                "flags": {str(k): int(v) for k, v in flags_by.get(mjd_day, {}).items()}})
        return pd.DataFrame(rows[::-1], columns=cols)  # newest night first

    def worst(self, n: int = WORST_N) -> pd.DataFrame:
        """The ``n`` worst images: by grade (worst first), then lowest dynamic range,
        then highest noise."""
        pts = self.points
        if pts.empty:
            return pts
        order = pd.DataFrame({
            "severity": pts["grade"].map(SEVERITY).fillna(-1),
            "dr": pts["dynamic_range"].fillna(np.inf),
            "noise": -pts["noise"].fillna(-np.inf)})
        ranked = order.sort_values(["severity", "dr", "noise"],
                                   ascending=[False, True, True], kind="stable")
        return pts.loc[ranked.index[:n]]

    def series(self, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(measured, missing): the images with a value of ``metric``, and those without
        (drawn as a "no value" row, never as zero). Kept per loaded result: the page's
        notes, its plots and every click and box-select ask again, and each split
        copies up to a year of rows."""
        loaded = self.loaded
        cache = self._series_cache
        if cache.get("loaded") is not loaded:
            cache.clear()
            cache["loaded"] = loaded
        if metric not in cache:
            pts = self.points
            have = np.isfinite(pts[metric].to_numpy(float)) if not pts.empty else \
                np.zeros(0, bool)
            cache[metric] = (pts[have], pts[~have])
        return cache[metric]

    # ---------------------------------------------------------------- picking
    def nearest(self, metric: str, x_mjd: float, y: float | None, x_span: float,
                y_span: float | None, tolerance: float, log: bool = False) -> dict | None:
        """The image of ``metric``'s plot nearest (x, y) within ``tolerance`` of the
        visible spans; y None: on the "no value" row (the nearest missing one in x)."""
        measured, missing = self.series(metric)
        if y is None:
            frame, dy = missing, None
        else:
            frame = measured
        if frame.empty or not (x_span > 0):
            return None
        dx = (frame["mjd"].to_numpy(float) - x_mjd) / x_span
        if y is not None:
            values = frame[metric].to_numpy(float)
            if log:
                values = np.log10(np.where(values > 0, values, np.nan))
            dy = (values - y) / (y_span or 1.0)
            dist = np.hypot(dx, dy)
        else:
            dist = np.abs(dx)
        dist = np.where(np.isfinite(dist), dist, np.inf)
        i = int(np.argmin(dist))
        if dist[i] > tolerance:
            return None
        return frame.iloc[i].to_dict()

    def in_box(self, metric: str, x0: float, x1: float, y0: float | None = None,
               y1: float | None = None, log: bool = False) -> list[int]:
        """Ids of the images of ``metric``'s plot inside the box (x in MJD; y in the
        plot's units, log10 for a log plot; y None: every image in the x span)."""
        pts = self.points
        if pts.empty:
            return []
        x = pts["mjd"].to_numpy(float)
        keep = (x >= min(x0, x1)) & (x <= max(x0, x1))
        if y0 is not None and y1 is not None:
            values = pts[metric].to_numpy(float)
            if log:
                values = np.log10(np.where(values > 0, values, np.nan))
            keep &= (values >= min(y0, y1)) & (values <= max(y0, y1))
        return [int(i) for i in pts["image_id"][keep]]

    def select(self, ids: list[int]) -> None:
        self.param.update(selection=list(ids), action_message=None)

    # ---------------------------------------------------------------- flagging
    def flag_selection(self, verdict: str, note: str) -> None:
        """Flag every selected image ``verdict`` with ``note`` for the signed-in user;
        the outcome in ``action_message``. Blocking."""
        reason = self.flag_block or self.flag_block_reason()
        if reason:
            self.param.update(action_message=reason, action_ok=False)
            return
        if verdict not in FLAG_VERDICTS:
            self.param.update(action_message=f"Unknown verdict {verdict!r}.",
                              action_ok=False)
            return
        ids = list(self.selection)
        if not ids:
            self.param.update(action_message="Select images first: drag a box on a plot "
                                             "(the box-select tool).", action_ok=False)
            return
        try:
            ImageFlags(self.db).flag(ids, verdict, note.strip(), self.user)
        except DashboardError as exc:
            self.param.update(action_message=f"Not flagged: {exc.user_message}",
                              action_ok=False)
            return
        self.param.update(action_message=f"Flagged {len(ids):,} image(s) {verdict}.",
                          action_ok=True)
        self.refresh_flags(ids, verdict)

    def refresh_flags(self, ids: list[int], verdict: str) -> None:
        """Show the new verdicts without reading the range again."""
        loaded = self.loaded
        if loaded is None:
            return
        flags = {**loaded.flags, **{int(i): verdict for i in ids}}
        points = loaded.points.copy()
        points["flag"] = [flags.get(int(i)) for i in points["image_id"]]
        self.loaded = Loaded(**{**loaded.__dict__, "points": points, "flags": flags})

    def summary(self) -> dict[str, Any]:
        pts = self.points
        return {"images": len(pts),
                "measured": int((pts["grade_kind"] == MEASURED).sum()) if len(pts) else 0}


def _verdict(value) -> str:
    """A flag record's verdict, whatever shape ImageFlags.current gives it."""
    if isinstance(value, str):
        return value
    for name in ("verdict", "flag", "value"):
        found = getattr(value, name, None)
        if found is None and isinstance(value, dict):
            found = value.get(name)
        if isinstance(found, str):
            return found
    return str(value)

