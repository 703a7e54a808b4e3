"""The catalogue sources measured in one image: its forced-photometry rows.

One query on ``photometry.image_path`` (indexed). The flux shown is the one a lightcurve
uses (science.md): ``normalized_flux_jy`` when present, else ``flux_jy``, else
``peak_jyb``, with the matching error; ``flux_column`` says which one a row carries.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from .paging import frame_from

COLUMNS = ("id", "source_id", "ra_deg", "dec_deg", "flux_jy", "flux_err_jy", "flux_column",
           "snr", "nvss_flux_mjy", "quality_flag")
#: Upper bound on rows returned for one image (a real image has ~100-300 sources).
MAX_ROWS = 20_000


class ImageSourceRepository:
    def __init__(self, db: Database):
        self.db = db

    def for_image(self, image_path: str, limit: int = MAX_ROWS) -> pd.DataFrame:
        """Photometry rows of ``image_path``, brightest first."""
        p = self.db.catalog["photometry"]
        if not p.exists:
            return pd.DataFrame(columns=list(COLUMNS))
        choices = [("normalized_flux_jy", "normalized_flux_err_jy"),
                   ("flux_jy", "flux_err_jy"), ("peak_jyb", "peak_err_jyb")]
        present = [(f, e) for f, e in choices if p.has(f)]
        if present:
            flux = sa.func.coalesce(*[p[f] for f, _ in present]) if len(present) > 1 \
                else p[present[0][0]]
            error = sa.case(*[(p[f].is_not(None), p[e]) for f, e in present], else_=None)
            which = sa.case(*[(p[f].is_not(None), sa.literal(f)) for f, _ in present],
                            else_=None)
        else:
            flux = error = which = sa.null()
        stmt = (sa.select(p.col("id"), p.col("source_id"), p.col("ra_deg"), p.col("dec_deg"),
                          flux.label("flux_jy"), error.label("flux_err_jy"),
                          which.label("flux_column"), p.col("snr"), p.col("nvss_flux_mjy"),
                          p.col("quality_flag"))
                .select_from(p.table).where(p["image_path"] == image_path)
                .order_by(flux.desc().nulls_last(), p["id"]).limit(limit))
        with self.db.connect() as conn:
            result = conn.execute(stmt)
            frame = frame_from(result, COLUMNS)
        for column in ("ra_deg", "dec_deg", "flux_jy", "flux_err_jy", "snr", "nvss_flux_mjy"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame
