"""State of one source's page (``/sources/{source_id}``).

Loaded once (blocking ``fetch()`` in a worker thread): the catalogue record, the
lightcurve in the chosen flux column, nearby sources and the contributing images. Only
this source's photometry rows are read. Exclusions (QA-failed epochs as a switch, and
single epochs by photometry id) change no query: the statistics are recomputed from the
loaded lightcurve with the science module's ``lightcurve_stats``.

An epoch failed QA by the one definition of ``science/qa.py`` (its image's latest grade
is poor, or the pipeline flagged the row ``image_qa_poor``) -- the same one
``dsa110-dash variability --exclude-failed-qa`` applies. Epochs whose image a person
flagged bad are left out too, unless ``include_flagged`` (in the URL) brings them back.
"""

from __future__ import annotations

import math
import time
import urllib.parse
from dataclasses import dataclass

import numpy as np
import pandas as pd
import param

from ..db.engine import Database
from ..errors import DashboardError, InvalidInputError, NotFoundError
from ..queries.lightcurve import export_filename, qa_failed
from ..repositories.lightcurves import LIGHTCURVE_COLUMNS, LightcurveRepository
from ..repositories.sources import SourceRecord, SourceRepository
from ..science.numbers import finite_or_none
from ..science.times import mjd_to_timestamps, mjd_to_unix_ms
from ..science.variability import MIXED, lightcurve_stats
from .sources import source_url

FLUX_CHOICES = {"best": "Best (normalised, else raw, else peak)",
                "normalized": "Normalised", "raw": "Raw (flux_jy)", "peak": "Peak (Jy/beam)"}
TIME_AXES = {"mjd": "MJD", "date": "Date (UTC)"}
CUTOUT_ARCSEC = 180
NEARBY_RADIUS_DEG = 0.25
EXPORT_FORMATS = ("csv", "ecsv", "votable", "json")

ETA_CHI2_LABEL = "η = χ²ν (about the weighted mean)"
#: Statistics shown: key of lightcurve_stats, key of SourceRecord (stored), label, unit
#: ("flux": mJy, or mJy/beam for peak fluxes). eta and chi2_nu about the weighted mean
#: are one number (0018): one row, unless the stored values differ.
STAT_ROWS = (("n_epochs", "n_obs", "Epochs", ""),
             ("mean_flux", "mean_flux_mjy", "Mean flux", "flux"),
             ("weighted_mean_flux", None, "Weighted mean flux", "flux"),
             ("std_flux", "std_flux_mjy", "Std (ddof=1)", "flux"),
             ("eta", "eta_metric", ETA_CHI2_LABEL, ""),
             ("v", "v", "V = std/mean", ""),
             ("sigma_deviation", "sigma_deviation", "σ deviation", ""),
             ("vs_max", "vs_max", "|Vs| max (two-epoch)", ""),
             ("m_at_vs_max", "m_at_vs_max", "m at |Vs| max", ""),
             ("is_two_epoch_variable", "is_two_epoch_variable",
              "Two-epoch variable (some pair |Vs| ≥ 4.3, |m| ≥ 0.26)", ""))
_MJY = {"mean_flux", "weighted_mean_flux", "std_flux"}
#: The page's flux choice -> the photometry column its values come from.
CHOICE_COLUMNS = {"normalized": "normalized_flux_jy", "raw": "flux_jy", "peak": "peak_jyb"}


COLUMN_WORDS = {"normalized_flux_jy": "the normalised flux (normalized_flux_jy)",
                "flux_jy": "the raw flux (flux_jy)", "peak_jyb": "the peak flux (peak_jyb)",
                MIXED: "each epoch's best flux, from more than one column"}


def _column_words(column: str) -> str:
    return COLUMN_WORDS.get(column, column)


def _same(a: float | None, b: float | None) -> bool:
    return a is None or b is None or math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


def _yes_no(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return "yes" if value else "no"


def parse_ids(text: str) -> list[int]:
    """'12,15' -> [12, 15]; anything that is not a whole number is ignored."""
    out = []
    for part in (text or "").split(","):
        part = part.strip()
        if part.isdigit():
            out.append(int(part))
    return sorted(set(out))


def export_url(source_id: str, fmt: str, flux: str = "best", excluded: list[int] = (),
               exclude_qa: bool = False, include_flagged: bool = False) -> str:
    """The lightcurve API's URL; with the page's exclusions, its rows carry them in the
    ``excluded`` column."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInputError(f"format must be one of {', '.join(EXPORT_FORMATS)}",
                                parameter="format")
    args = {"format": fmt, "flux": flux}
    if excluded:
        args["excluded"] = ",".join(str(i) for i in excluded)
    if exclude_qa:
        args["exclude_qa"] = "1"
    if include_flagged:
        args["include_flagged"] = "1"
    query = urllib.parse.urlencode(args, safe=",")
    return f"/api/v1/sources/{urllib.parse.quote(source_id, safe='')}/lightcurve?{query}"


def cutout_url(image_id: int, ra: float, dec: float, size: float = CUTOUT_ARCSEC) -> str:
    query = urllib.parse.urlencode({"ra": f"{ra:.6f}", "dec": f"{dec:.6f}", "size": f"{size:g}"})
    return f"/api/v1/images/{int(image_id)}/cutout.png?{query}"


@dataclass(frozen=True)
class Loaded:
    record: SourceRecord
    lightcurve: pd.DataFrame
    nearby: pd.DataFrame
    images: pd.DataFrame


class SourceDetailModel(param.Parameterized):
    flux = param.Selector(default="best", objects=list(FLUX_CHOICES))
    time_axis = param.Selector(default="mjd", objects=list(TIME_AXES))
    exclude_qa = param.Boolean(default=True, doc="Leave QA-failed epochs out of the stats.")
    include_flagged = param.Boolean(
        default=False, doc="Count epochs whose image a person flagged bad (left out by default).")
    excluded = param.String(default="", doc="Photometry ids excluded by hand, comma-separated.")
    epoch = param.Integer(default=None, allow_None=True, doc="Selected photometry id.")

    source_id = param.String(default="", constant=True)
    record = param.ClassSelector(class_=SourceRecord, default=None, allow_None=True)
    lightcurve = param.DataFrame(default=pd.DataFrame(columns=list(LIGHTCURVE_COLUMNS)))
    nearby = param.DataFrame(default=pd.DataFrame())
    images = param.DataFrame(default=pd.DataFrame())
    stats = param.Dict(default={})
    error = param.String(default=None, allow_None=True)
    not_found = param.Boolean(default=False)
    loaded_at = param.Number(default=None, allow_None=True)

    QUERY = ("flux", "time_axis", "exclude_qa", "include_flagged", "excluded", "epoch")

    def __init__(self, db: Database, source_id: str, **params):
        super().__init__(source_id=source_id, **params)
        self.repo = SourceRepository(db)
        self.lightcurves = LightcurveRepository(db, sources=self.repo)
        self.param.watch(self._restat, ["exclude_qa", "include_flagged", "excluded",
                                         "lightcurve"])

    # ------------------------------------------------------------------ work
    def fetch(self) -> Loaded | DashboardError:
        """Blocking: everything the page shows, for this one source, which is looked up
        once and handed to every other read as its record."""
        try:
            record = self.repo.get(self.source_id)
            lightcurve = self.lightcurves.lightcurve(record, flux=self.flux)
            nearby = self.repo.nearby(record, NEARBY_RADIUS_DEG, limit=20)
            images = self.lightcurves.images_for(record)
        except DashboardError as exc:
            return exc
        return Loaded(record, lightcurve, nearby, images)

    def fetch_lightcurve(self) -> pd.DataFrame | DashboardError:
        """Blocking: the lightcurve again, after the flux column changed (of the record
        already loaded, when there is one: no second lookup)."""
        try:
            return self.lightcurves.lightcurve(self.record or self.source_id, flux=self.flux)
        except DashboardError as exc:
            return exc

    def apply(self, result: Loaded | pd.DataFrame | DashboardError) -> None:
        if isinstance(result, DashboardError):
            self.param.update(error=result.user_message,
                              not_found=isinstance(result, NotFoundError))
            return
        if isinstance(result, Loaded):
            self.param.update(record=result.record, nearby=result.nearby,
                              images=result.images, lightcurve=self._decorate(result.lightcurve),
                              error=None, not_found=False, loaded_at=time.time())
        else:
            self.param.update(lightcurve=self._decorate(result), error=None,
                              loaded_at=time.time())

    def refresh(self) -> None:
        self.apply(self.fetch())

    @staticmethod
    def _decorate(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame["qa_failed"] = qa_failed(frame) if len(frame) else np.zeros(0, bool)
        if "flagged_bad" not in frame:
            frame["flagged_bad"] = np.zeros(len(frame), bool)
        frame["date"] = mjd_to_timestamps(frame["mjd"])
        return frame

    # ------------------------------------------------------------ exclusions
    @property
    def excluded_ids(self) -> list[int]:
        return parse_ids(self.excluded)

    def included_mask(self) -> np.ndarray:
        lc = self.lightcurve
        if lc.empty:
            return np.zeros(0, bool)
        mask = ~lc["photometry_id"].isin(self.excluded_ids).to_numpy(bool)
        if self.exclude_qa:
            mask &= ~lc["qa_failed"].to_numpy(bool)
        if not self.include_flagged:
            mask &= ~lc["flagged_bad"].to_numpy(bool)
        return mask

    def toggle_epoch(self, photometry_id: int) -> None:
        ids = set(self.excluded_ids)
        ids ^= {int(photometry_id)}
        self.excluded = ",".join(str(i) for i in sorted(ids))

    def clear_exclusions(self) -> None:
        self.excluded = ""

    def _restat(self, *_events) -> None:
        lc = self.lightcurve
        if lc.empty:
            self.stats = lightcurve_stats([], [])
            return
        mask = self.included_mask()
        self.stats = lightcurve_stats(lc["flux_jy"].to_numpy(float)[mask],
                                      lc["flux_err_jy"].to_numpy(float)[mask])

    def stored_comparable(self) -> tuple[bool, str]:
        """(whether the stored statistics come from the flux column shown, and why).

        Ours (dash_variability) record their column: each epoch's best flux, so they
        match the best choice, and a single column's choice when every epoch used it.
        The pipeline's own variability_stats do not record it: they are taken to be of
        the best flux, the one the pipeline plots (pipeline-db.md)."""
        rec = self.record
        stored = rec.stats_flux_column if rec is not None else None
        if stored is None:
            if self.flux == "best":
                return True, ("The pipeline's stored statistics do not record their flux "
                              "column; they are shown beside the best flux, which the "
                              "pipeline plots.")
            return False, ("The pipeline's stored statistics do not record their flux "
                           f"column: left out beside the {self.flux} flux (choose Best "
                           "to compare).")
        if self.flux == "best" or CHOICE_COLUMNS[self.flux] == stored:
            return True, f"Stored statistics computed from {_column_words(stored)}."
        return False, (f"Stored statistics were computed from {_column_words(stored)}: "
                       f"left out beside the {self.flux} flux (choose Best to compare).")

    def stats_table(self) -> pd.DataFrame:
        """Live statistics (current exclusions) beside the stored ones when they come
        from the same flux column, each value with its own unit (fluxes in mJy, or
        mJy/beam for peak fluxes)."""
        rows = []
        rec = self.record
        comparable, _ = self.stored_comparable()
        live_unit = "mJy/beam" if self.flux == "peak" else "mJy"
        stored_unit = "mJy/beam" if (rec is not None and rec.stats_flux_column == "peak_jyb"
                                     ) else "mJy"
        for key, stored, label, unit in STAT_ROWS:
            live = self.stats.get(key)
            if key in _MJY and live is not None:
                live = live * 1000.0
            pipeline = getattr(rec, stored, None) if (rec is not None and stored
                                                      and comparable) else None
            if key == "is_two_epoch_variable":
                live, pipeline = _yes_no(live), _yes_no(pipeline)
            else:
                live, pipeline = finite_or_none(live), finite_or_none(pipeline)
            row = {"statistic": label, "live": live, "pipeline": pipeline,
                   "unit": live_unit if unit == "flux" else unit,
                   "pipeline_unit": stored_unit if unit == "flux" else unit}
            if key == "eta":
                chi2 = finite_or_none(rec.chi2_nu) if (rec is not None and comparable) \
                    else None
                if chi2 is not None and not _same(pipeline, chi2):
                    # The stored values disagree: both, each with its own label.
                    rows.append({**row, "statistic": "η"})
                    rows.append({**row, "statistic": "χ²ν",
                                 "live": finite_or_none(self.stats.get("chi2_nu")),
                                 "pipeline": chi2})
                    continue
                if pipeline is None:
                    row["pipeline"] = chi2
            rows.append(row)
        return pd.DataFrame(rows)

    # -------------------------------------------------------------- selection
    def select_nearest(self, x: float, y: float, x_span: float, y_span: float,
                       tolerance: float = 0.03) -> int | None:
        """The epoch nearest a click in the plot's (time, flux) space, else None."""
        lc = self.lightcurve
        if lc.empty or x is None or y is None:
            return None
        xs = self.x_values().astype(float)
        dx = (xs - float(x)) / max(x_span, 1e-12)
        dy = (lc["flux_jy"].to_numpy(float) - float(y)) / max(y_span, 1e-12)
        d2 = np.where(np.isfinite(dx) & np.isfinite(dy), dx * dx + dy * dy, np.inf)
        i = int(np.argmin(d2))
        if not np.isfinite(d2[i]) or d2[i] > tolerance ** 2:
            return None
        self.epoch = int(lc["photometry_id"].iat[i])
        return self.epoch

    def x_values(self) -> np.ndarray:
        """The plot's x of every epoch: MJD, or milliseconds since 1970 for dates."""
        lc = self.lightcurve
        if self.time_axis == "date":
            return mjd_to_unix_ms(lc["mjd"].to_numpy(float))
        return lc["mjd"].to_numpy(float)

    def selected_epoch(self) -> dict | None:
        if self.epoch is None or self.lightcurve.empty:
            return None
        rows = self.lightcurve[self.lightcurve["photometry_id"] == self.epoch]
        if rows.empty:
            return None
        row = rows.iloc[0].to_dict()
        row["excluded"] = not bool(self.included_mask()[rows.index[0]])
        rec = self.record
        image_id = row.get("image_id")
        has_image = image_id is not None and not pd.isna(image_id)
        if has_image and rec is not None and rec.ra_deg is not None:
            row["cutout_url"] = cutout_url(int(image_id), rec.ra_deg, rec.dec_deg)
        row["image_url"] = f"/images/{int(image_id)}" if has_image else None
        return row

    # ------------------------------------------------------------------ links
    def export_url(self, fmt: str) -> str:
        """The download of the lightcurve as the page shows it: flux column and
        exclusions (hand-excluded epochs, and QA-failed ones while that switch is on)."""
        return export_url(self.source_id, fmt, self.flux, self.excluded_ids, self.exclude_qa,
                          self.include_flagged)

    @property
    def url(self) -> str:
        return source_url(self.source_id)


