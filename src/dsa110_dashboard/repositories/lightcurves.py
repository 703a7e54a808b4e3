"""A source's lightcurve (every photometry point, in observation order) and the images
that measured it."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..errors import InvalidInputError
from ..science.qa import FLAG_BAD
from .flags import ImageFlags
from .paging import frame_from
from .source_columns import none_for_missing, typed_null
from .sources import SourceRecord, SourceRepository
from .qa import latest_grades

FluxChoice = Literal["best", "normalized", "raw", "peak"]

LIGHTCURVE_COLUMNS = ("photometry_id", "mjd", "flux_jy", "flux_err_jy", "flux_column",
                      "snr", "image_path", "image_id", "qa_grade", "quality_flag", "flags",
                      "sep_from_center_deg", "flag_verdict", "flag_user", "flagged_bad")
#: The lightcurve query's columns, in its order (``flags`` follows for the frame);
#: ``qa_grade`` is looked up after it, once per image (``qa.latest_grades``).
QUERY_COLUMNS = ("photometry_id", "mjd", "flux_jy", "flux_err_jy", "flux_column", "snr",
                 "image_path", "image_id", "quality_flag", "sep_from_center_deg")
#: ``lightcurve_columns``'s names before the flags.
COLUMN_READ = QUERY_COLUMNS + ("qa_grade",)


class LightcurveRepository:
    """Photometry of one source and the images it came from.

    Each read takes the source as a ``SourceRecord`` (resolved once by the page) or as
    an id; with an id, an empty result is checked against ``sources`` so that an
    unknown source raises NotFoundError rather than reading as one never measured."""

    def __init__(self, db: Database, sources: SourceRepository | None = None):
        self.db = db
        self._sources = sources if sources is not None else SourceRepository(db)

    def _known(self, source: SourceRecord | str) -> None:
        """NotFoundError unless ``source`` is a known source."""
        self._sources.resolve(source)

    def _flux(self, choice: FluxChoice):
        p = self.db.catalog["photometry"]
        norm, raw, peak = p["normalized_flux_jy"], p["flux_jy"], p["peak_jyb"]
        if choice == "best":
            # Per row: normalized when present, else raw, else peak (pipeline-db.md).
            flux = sa.case((norm.is_not(None), norm), (raw.is_not(None), raw), else_=peak)
            err = sa.case((norm.is_not(None), p["normalized_flux_err_jy"]),
                          (raw.is_not(None), p["flux_err_jy"]), else_=p["peak_err_jyb"])
            which = sa.case((norm.is_not(None), "normalized_flux_jy"),
                            (raw.is_not(None), "flux_jy"),
                            (peak.is_not(None), "peak_jyb"), else_=sa.null())
            return flux, err, which
        column, error = {"normalized": ("normalized_flux_jy", "normalized_flux_err_jy"),
                         "raw": ("flux_jy", "flux_err_jy"),
                         "peak": ("peak_jyb", "peak_err_jyb")}.get(choice, (None, None))
        if column is None:
            raise InvalidInputError("flux must be one of best, normalized, raw, peak",
                                    parameter="flux")
        return p[column], p[error], sa.literal(column)

    def lightcurve(self, source: SourceRecord | str, *,
                   flux: FluxChoice = "best") -> pd.DataFrame:
        """Every photometry point of a source, ordered by observation MJD.

        ``mjd`` is photometry.mjd (never measured_at). ``flux_jy``/``flux_err_jy`` hold
        the chosen column and ``flux_column`` names it per row (``best`` falls back per
        row). ``image_id`` and ``qa_grade`` (latest image_qa.overall_quality of that
        image) come from the same query; ``flag_verdict`` is the image's current
        people's flag (None when never flagged) and ``flagged_bad`` whether it is bad.
        NotFoundError for an unknown source.
        """
        source_id = _id_of(source)
        stmt = self._statement(source_id, flux, with_flags_text=True)
        if stmt is None:
            self._known(source)  # raises NotFoundError, or: known but no photometry
            return pd.DataFrame(columns=list(LIGHTCURVE_COLUMNS))
        with self.db.connect() as conn:
            result = conn.execute(stmt)
            frame = frame_from(result)
            grades = self._grades(conn, frame["image_path"] if len(frame) else ())
        if frame.empty:
            self._known(source)
        frame["qa_grade"] = [grades.get(p) for p in frame["image_path"]]
        for col in ("mjd", "flux_jy", "flux_err_jy", "snr", "sep_from_center_deg"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        none_for_missing(frame, ("flux_column", "qa_grade", "quality_flag"))
        flagged = ImageFlags(self.db).annotate(frame, "image_id")
        return flagged[list(LIGHTCURVE_COLUMNS)]

    def lightcurve_columns(self, source: SourceRecord | str, *,
                           flux: FluxChoice = "best") -> dict[str, tuple]:
        """What :meth:`lightcurve` reads, column by column and without a DataFrame:
        ``{name: tuple of the database's values}`` for COLUMN_READ's names (``flags``
        left out), plus ``flag_verdict`` and ``flagged_bad``. The lightcurve API's JSON
        is built from these (a frame of 5,000 rows and its per-row flag lookup cost
        more than the query). NotFoundError for an unknown source."""
        source_id = _id_of(source)
        stmt = self._statement(source_id, flux, with_flags_text=False)
        columns: dict[str, tuple] = {name: () for name in QUERY_COLUMNS}
        grades: dict = {}
        if stmt is not None:
            with self.db.connect() as conn:
                rows = conn.execute(stmt).fetchall()
                if rows:
                    columns = dict(zip(QUERY_COLUMNS, zip(*rows)))
                    grades = self._grades(conn, columns["image_path"])
        if not columns["photometry_id"]:
            self._known(source)
        columns["qa_grade"] = tuple(map(grades.get, columns["image_path"]))
        current = ImageFlags(self.db).current(
            [int(i) for i in set(columns["image_id"]) if i is not None])
        found = [current.get(i) if i is not None else None for i in columns["image_id"]]
        columns["flag_verdict"] = tuple(f["verdict"] if f else None for f in found)
        columns["flagged_bad"] = tuple(bool(f and f["verdict"] == FLAG_BAD) for f in found)
        return columns

    def _grades(self, conn: sa.Connection, image_paths) -> dict[str, str | None]:
        """The latest QA grade of each image of the lightcurve: one query for its
        distinct images, not a correlated lookup per point."""
        return latest_grades(conn, self.db.catalog["image_qa"], image_paths)

    def _statement(self, source_id: str, flux: FluxChoice,
                   with_flags_text: bool) -> sa.Select | None:
        """The one lightcurve query (None without a photometry table): QUERY_COLUMNS,
        and ``flags`` after them when ``with_flags_text``."""
        catalog = self.db.catalog
        p, img = catalog["photometry"], catalog["images"]
        if not p.exists:
            return None
        value, error, which = self._flux(flux)
        image_id = img["id"] if img.exists else typed_null(sa.Integer)
        selected = [
            p["id"].label("photometry_id"), p.col("mjd"), value.label("flux_jy"),
            error.label("flux_err_jy"), which.label("flux_column"), p.col("snr"),
            p.col("image_path"), image_id.label("image_id"), p.col("quality_flag"),
            p.col("sep_from_center_deg"),
        ]
        if with_flags_text:
            selected.append(p.col("flags"))
        stmt = sa.select(*selected).where(p["source_id"] == source_id)
        if img.exists:
            stmt = stmt.select_from(p.table.outerjoin(img.table,
                                                      img["path"] == p["image_path"]))
        return stmt.order_by(p["mjd"].is_(None), p["mjd"], p["id"])

    def images_for(self, source: SourceRecord | str) -> pd.DataFrame:
        """The images that measured this source, in observation order."""
        source_id = _id_of(source)
        catalog = self.db.catalog
        p, img = catalog["photometry"], catalog["images"]
        columns = ["image_id", "path", "type", "created_at", "mjd", "noise_jy",
                   "center_ra_deg", "center_dec_deg"]
        if not (p.exists and img.exists):
            self._known(source)
            return pd.DataFrame(columns=columns)
        stmt = (sa.select(img["id"].label("image_id"), img.col("path"), img.col("type"),
                          img.col("created_at"), p.col("mjd"), img.col("noise_jy"),
                          img.col("center_ra_deg"), img.col("center_dec_deg"))
                .select_from(p.table.join(img.table, img["path"] == p["image_path"]))
                .where(p["source_id"] == source_id)
                .order_by(p["mjd"].is_(None), p["mjd"], img["id"]))
        with self.db.connect() as conn:
            result = conn.execute(stmt)
            frame = frame_from(result)
        if frame.empty:
            self._known(source)
        # A source measured twice in one image (a rerun) lists the image once.
        frame = frame.drop_duplicates("image_id").reset_index(drop=True)
        return ImageFlags(self.db).annotate(frame, "image_id")


def _id_of(source: SourceRecord | str) -> str:
    return source.source_id if isinstance(source, SourceRecord) else source

