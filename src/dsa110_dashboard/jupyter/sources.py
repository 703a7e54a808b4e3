"""Sources from a notebook: searches as DataFrames, lightcurves as astropy QTables,
positions as SkyCoords."""

from __future__ import annotations

import astropy.units as u
import pandas as pd
from astropy.coordinates import SkyCoord
from astropy.table import QTable

from ..context import AppContext
from ..repositories.lightcurves import LightcurveRepository
from ..repositories.sources import SourceRecord, SourceRepository
from ..repositories.variability import VariabilityRepository
from .lightcurves import lightcurve_table
from .paging import framed, request


def _degrees(value, what: str) -> float:
    if isinstance(value, u.Quantity):
        return float(value.to_value(u.deg))
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an angle (a Quantity, or degrees), not {value!r}") \
            from None


class Sources:
    def __init__(self, context: AppContext):
        self.context = context
        self.repository = SourceRepository(context.db)
        self.lightcurves = LightcurveRepository(context.db, sources=self.repository)
        self.variability_repository = VariabilityRepository(context.db)

    def search(self, name: str | None = None, *, near: SkyCoord | tuple | None = None,
               radius=1 * u.arcmin, limit: int = 50, offset: int = 0,
               sort: str | None = None, descending: bool = True,
               **bounds) -> pd.DataFrame:
        """The /sources search: a name prefix (``"NVSS J1234"``), a cone (``near`` a
        SkyCoord or (ra, dec) in degrees, within ``radius``, a Quantity or degrees) and
        bounds on statistics as ``eta_metric=(2, None)``, ``v=(0.1, None)``... (see
        ``SourceRepository.SEARCH_BOUNDS``). ``attrs['total']`` counts every match."""
        cone = None
        if near is not None:
            if isinstance(near, SkyCoord):
                icrs = near.icrs
                ra, dec = float(icrs.ra.deg), float(icrs.dec.deg)
            else:
                ra, dec = (_degrees(v, "near") for v in near)
            cone = (ra, dec, _degrees(radius, "radius"))
        page = self.repository.search(name=name, cone=cone, bounds=bounds,
                                      request=request(offset, limit, sort, descending))
        return framed(page)

    def get(self, source_id: str) -> SourceRecord:
        """One source with its stored statistics (NotFoundError when unknown)."""
        return self.repository.get(source_id)

    def coord(self, source_id: str) -> SkyCoord:
        record = self.get(source_id)
        return SkyCoord(record.ra_deg * u.deg, record.dec_deg * u.deg, frame="icrs")

    def lightcurve(self, source_id: str, *, flux: str = "best") -> QTable:
        """Every epoch of the source, in time order: ``time`` (astropy Time, UTC),
        ``flux``/``flux_err`` in mJy (``flux="peak"``: mJy/beam), ``flux_column`` per
        epoch (``best`` takes the normalised flux, else the raw, else the peak), the image
        and its QA. The source is in ``meta``."""
        record = self.get(source_id)
        frame = self.lightcurves.lightcurve(record, flux=flux)
        return lightcurve_table(frame, record, flux)

    def images(self, source_id: str) -> pd.DataFrame:
        """The images that measured the source, in observation order."""
        return self.lightcurves.images_for(source_id)

    def nearby(self, source_id: str, radius=0.1 * u.deg, limit: int = 50) -> pd.DataFrame:
        return self.repository.nearby(source_id, _degrees(radius, "radius"), limit)

    def variability(self, min_n_obs: int = 2) -> pd.DataFrame:
        """One row per source with eta, V, chi2, sigma deviation and the two-epoch
        statistics: what the eta-V plot draws."""
        return self.variability_repository.eta_points(min_n_obs)

    def ese_candidates(self, statuses=("active",)) -> pd.DataFrame:
        return self.variability_repository.ese_candidates(statuses)
