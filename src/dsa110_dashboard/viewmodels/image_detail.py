"""State of /images/{image_id}: the database row, its provenance and QA, the file.

``fetch(raw_id)`` is blocking (run it in a worker thread): it reads everything the page
shows and returns ``DetailData``, or ``DetailFailure`` when there is no page to show
(unknown or malformed id, database down). A missing, corrupt or forbidden file is not a
failure: the page still shows the row and its provenance, with ``file_error`` in place
of the viewer.

NULL metadata in the database falls back to the FITS header, then to the pixels, and
each value says where it came from (``ORIGIN_*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import param

from ..db.engine import Database
from ..errors import (
    DashboardError,
    DatabaseUnavailableError,
    ForbiddenPathError,
    ImageReadError,
    InvalidInputError,
    NotFoundError,
)
from ..files import DataRoots
from ..fits import COLORMAPS, STRETCHES, open_image, summarize
from ..fits.stretch import DEFAULT_STRETCH
from ..fits.header import HeaderSummary
from ..repositories.image_sources import ImageSourceRepository
from ..repositories.images import MJD_FROM_MS, ImageRecord, ImageRepository, Provenance
from ..repositories.qa import (
    DERIVED_FROM_DR,
    MEASURED,
    ImageQARecord,
    QARepository,
    grade_image_dynamic_range,
    image_warnings,
)
from ..science.numbers import finite_or_none
from ..settings import Settings
from .image_raster import ImageRaster

ORIGIN_DB = "database"
ORIGIN_HEADER = "from FITS header"
ORIGIN_PIXELS = "computed from pixels"
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Metadatum:
    """One value shown on the page, and where it came from (None: nowhere)."""

    label: str
    value: Any
    text: str
    origin: str | None


@dataclass
class DetailData:
    image: ImageRecord
    provenance: Provenance | None
    qa_rows: list[ImageQARecord]
    grade: str
    grade_kind: str
    grade_note: str
    warnings: list[str]
    previous_id: int | None
    next_id: int | None
    sources: pd.DataFrame
    metadata: dict[str, Metadatum]
    header_text: str | None = None
    raster: ImageRaster | None = None
    file_error: str | None = None
    file_path: Path | None = None
    #: BUNIT of the FITS header (None when the file could not be read or has none).
    bunit: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DetailFailure:
    title: str
    message: str


def parse_image_id(raw: str | int | None) -> int:
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInputError(f"image id must be a whole number; got {text[:40]!r}",
                                parameter="id")
    value = int(text)
    if value > _MAX_ID:
        raise NotFoundError(f"No image with id {text[:40]}")
    return value




def _pick(*candidates: tuple[Any, str]) -> tuple[Any, str | None]:
    for value, origin in candidates:
        if value is not None:
            return value, origin
    return None, None


def build_metadata(image: ImageRecord, summary: HeaderSummary | None,
                   raster: ImageRaster | None) -> dict[str, Metadatum]:
    """The page's metadata with database -> FITS header -> pixels fallbacks."""
    s = summary
    out: dict[str, Metadatum] = {}

    noise, noise_origin = _pick((finite_or_none(image.noise_jy), ORIGIN_DB),
                                (raster.robust_rms() if raster else None, ORIGIN_PIXELS))
    out["noise"] = Metadatum("Noise (RMS)", noise,
                             f"{noise * 1e3:.3f} mJy/beam" if noise is not None else "unknown",
                             noise_origin)

    dr, dr_origin = finite_or_none(image.dynamic_range), ORIGIN_DB
    if dr is None and raster is not None and noise:
        peak = raster.peak()
        dr, dr_origin = (peak / noise, ORIGIN_PIXELS) if peak else (None, None)
    if dr is None:
        dr_origin = None
    out["dynamic_range"] = Metadatum("Dynamic range", dr,
                                     f"{dr:,.0f}" if dr is not None else "unknown", dr_origin)

    bmaj, bmin, bpa = (finite_or_none(image.beam_major_arcsec), finite_or_none(image.beam_minor_arcsec),
                       finite_or_none(image.beam_pa_deg))
    beam_origin = ORIGIN_DB
    if bmaj is None or bmin is None:
        if s is not None and s.bmaj_arcsec and s.bmin_arcsec:
            bmaj, bmin, bpa, beam_origin = s.bmaj_arcsec, s.bmin_arcsec, s.bpa_deg, ORIGIN_HEADER
        else:
            bmaj = bmin = bpa = None
            beam_origin = None
    beam_text = (f"{bmaj:.1f}″ × {bmin:.1f}″, PA {bpa if bpa is not None else 0:.1f}°"
                 if bmaj is not None else "unknown")
    out["beam"] = Metadatum("Restoring beam", (bmaj, bmin, bpa), beam_text, beam_origin)

    ra, dec = finite_or_none(image.center_ra_deg), finite_or_none(image.center_dec_deg)
    centre_origin = ORIGIN_DB
    if ra is None or dec is None:
        if s is not None and s.ra_deg is not None and s.dec_deg is not None:
            ra, dec, centre_origin = s.ra_deg, s.dec_deg, ORIGIN_HEADER
        else:
            ra = dec = centre_origin = None
    out["centre"] = Metadatum(
        "Centre (RA, Dec)", (ra, dec),
        f"{ra:.4f}°, {dec:+.4f}°" if ra is not None else "unknown", centre_origin)

    nx, ny = image.imsize_x, image.imsize_y
    size_origin = ORIGIN_DB
    if not nx or not ny:
        if s is not None and s.width and s.height:
            nx, ny, size_origin = s.width, s.height, ORIGIN_HEADER
        elif raster is not None:
            nx, ny, size_origin = raster.nx, raster.ny, ORIGIN_PIXELS
        else:
            nx = ny = size_origin = None
    out["size"] = Metadatum("Size (pixels)", (nx, ny),
                            f"{nx} × {ny}" if nx else "unknown", size_origin)

    cell, cell_origin = _pick((finite_or_none(image.cellsize_arcsec), ORIGIN_DB),
                              (s.pixel_scale_arcsec if s else None, ORIGIN_HEADER))
    out["cell"] = Metadatum("Pixel scale", cell,
                            f"{cell:.3f}″" if cell is not None else "unknown", cell_origin)

    freq, freq_origin = _pick((finite_or_none(image.freq_ghz), ORIGIN_DB),
                              (s.freq_ghz if s else None, ORIGIN_HEADER))
    out["frequency"] = Metadatum("Frequency", freq,
                                 f"{freq:.4f} GHz" if freq is not None else "unknown",
                                 freq_origin)
    return out


#: SNR from which forced photometry counts as a detection (the QA step's source count).
DETECTION_SNR = 5.0


def catalogue_count_note(sources: pd.DataFrame, qa_rows: list[ImageQARecord]) -> str:
    """Why the catalogue table's row count and the QA step's source count may differ:
    forced photometry measures every catalogue position in the field, detected or not."""
    total = len(sources)
    snr = pd.to_numeric(sources.get("snr", pd.Series(dtype=float)), errors="coerce")
    detected = int((snr >= DETECTION_SNR).sum())
    text = (f"Forced photometry at every catalogue position in the field: {total:,} rows, "
            f"{detected:,} of them at SNR ≥ {DETECTION_SNR:g}.")
    counted = qa_rows[0].num_sources if qa_rows else None
    if counted is None:
        return text + " The QA step gave no source count for this image."
    if counted == detected:
        return text + (f" The QA step's {counted:,} sources are those at SNR ≥ "
                       f"{DETECTION_SNR:g}.")
    return text + (f" The QA step counted {counted:,} sources by its own detection, not "
                   "from these rows.")


class ImageDetailModel(param.Parameterized):
    image_id = param.Integer(default=None, allow_None=True)
    stretch = param.Selector(default=DEFAULT_STRETCH, objects=list(STRETCHES))
    cmap = param.Selector(default="inferno", objects=list(COLORMAPS))
    show_sources = param.Boolean(default=True)

    data = param.Parameter(default=None, doc="DetailData of the image shown.")
    failure = param.Parameter(default=None, doc="DetailFailure when there is no image.")

    def __init__(self, db: Database, settings: Settings, **params):
        super().__init__(**params)
        self.db = db
        self.settings = settings
        self.images = ImageRepository(db)

    # --------------------------------------------------------------- loading
    def fetch(self, raw_id: str | int | None) -> DetailData | DetailFailure:
        try:
            image_id = parse_image_id(raw_id)
            return self._load(image_id)
        except NotFoundError:
            shown = str(raw_id).strip()[:40]
            return DetailFailure("Not found", f"No image with id {shown}.")
        except InvalidInputError as exc:
            return DetailFailure("Invalid image id", f"{exc.user_message}. "
                                 "Image ids are whole numbers, as in /images/12.")
        except DatabaseUnavailableError as exc:
            return DetailFailure(exc.title, exc.user_message)

    def apply(self, result: DetailData | DetailFailure) -> None:
        if isinstance(result, DetailFailure):
            self.param.update(data=None, failure=result)
        else:
            self.param.update(image_id=result.image.id, data=result, failure=None)

    def load(self, raw_id) -> None:
        self.apply(self.fetch(raw_id))

    def _load(self, image_id: int) -> DetailData:
        image = self.images.get(image_id)  # NotFoundError for an unknown id
        provenance = self.images.provenance(image_id, image)
        previous_id, next_id = self.images.neighbours(image_id, image)
        qa_rows = QARepository(self.db).image_qa_for(image.path)
        sources = ImageSourceRepository(self.db).for_image(image.path)

        raster = summary = header_text = file_error = file_path = None
        notes: list[str] = []
        try:
            file_path = DataRoots.for_server(self.settings, self.db.target).confine(image.path)
            plane = open_image(file_path)
            raster = ImageRaster(plane)
            raster.overview()  # the first render and the statistics need it
            summary = summarize(plane.header)
            header_text = plane.header.tostring(sep="\n", endcard=False, padding=False)
            notes.extend(plane.notes)
        except (ImageReadError, NotFoundError, ForbiddenPathError) as exc:
            file_error = f"{exc.title}: {exc.user_message}"
        except DashboardError as exc:  # e.g. an unsupported CASA layout
            file_error = f"{exc.title}: {exc.user_message}"

        metadata = build_metadata(image, summary, raster)
        if qa_rows and qa_rows[0].overall_quality:
            grade, kind = qa_rows[0].overall_quality, MEASURED
            note = "measured by the pipeline's QA step (latest image_qa row)"
        else:
            dr = metadata["dynamic_range"]
            grade, kind = grade_image_dynamic_range(dr.value), DERIVED_FROM_DR
            note = ("not assessed by the pipeline's QA step: derived from the dynamic range"
                    + (f" ({dr.origin})" if dr.origin and dr.origin != ORIGIN_DB else ""))
        warnings = image_warnings(metadata["noise"].value, metadata["dynamic_range"].value)
        if image.mjd_source and image.mjd_source != MJD_FROM_MS:
            notes.append("Observation time is the image's creation time: its measurement "
                         "set gives no mid_mjd.")
        return DetailData(image=image, provenance=provenance, qa_rows=qa_rows, grade=grade,
                          grade_kind=kind, grade_note=note, warnings=warnings,
                          previous_id=previous_id, next_id=next_id, sources=sources,
                          metadata=metadata, header_text=header_text, raster=raster,
                          file_error=file_error, file_path=file_path,
                          bunit=summary.bunit if summary else None, notes=notes)

    # ------------------------------------------------------------------ links
    @property
    def fits_url(self) -> str | None:
        return f"/api/v1/images/{self.image_id}/fits" if self.image_id is not None else None

    def cutout_url(self, ra: float, dec: float, size_arcsec: float,
                   kind: str = "png") -> str:
        size = max(1.0, min(3600.0, size_arcsec))
        return (f"/api/v1/images/{self.image_id}/cutout.{kind}?ra={ra:.6f}&dec={dec:.6f}"
                f"&size={size:.1f}&stretch={self.stretch}&cmap={self.cmap}"
                if kind == "png" else
                f"/api/v1/images/{self.image_id}/cutout.{kind}?ra={ra:.6f}&dec={dec:.6f}"
                f"&size={size:.1f}")

    def neighbour_url(self, image_id: int | None) -> str | None:
        if image_id is None:
            return None
        args = []
        if self.stretch != DEFAULT_STRETCH:
            args.append(f"stretch={self.stretch}")
        if self.cmap != "inferno":
            args.append(f"cmap={self.cmap}")
        return f"/images/{image_id}" + ("?" + "&".join(args) if args else "")
