"""Images from a notebook: lists as DataFrames, a file's header and WCS as astropy objects."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
from astropy.io import fits
from astropy.wcs import WCS

from ..context import AppContext
from ..fits.plane import ImagePlane
from ..fits.reader import open_image
from ..repositories.images import ImageFilter, ImageRecord, ImageRepository, Provenance
from ..repositories.qa import QARepository
from .paging import as_tuple, filter_of, framed, request
from .times import add_utc_columns, as_mjd, as_unix


class Images:
    """``list`` and ``count`` take the /images page's filters as keywords
    (``types``, ``field``, ``dec_min``... see ``ImageFilter``; times as astropy Time,
    datetime, ISO text or MJD: ``since``/``until`` by observation time, ``created_after``/
    ``created_before`` by when the image was made)."""

    def __init__(self, context: AppContext):
        self.context = context
        self.repository = ImageRepository(context.db)

    def _filter(self, filters: dict) -> ImageFilter:
        given = dict(filters)
        if "since" in given:
            given["mjd_min"] = as_mjd(given.pop("since"))
        if "until" in given:
            given["mjd_max"] = as_mjd(given.pop("until"))
        for key in ("mjd_min", "mjd_max"):
            if key in given:
                given[key] = as_mjd(given[key])
        for key in ("created_after", "created_before"):
            if key in given:
                given[key] = as_unix(given[key])
        for key in ("types", "qa_grade"):
            if key in given:
                given[key] = as_tuple(given[key])
        return filter_of(ImageFilter, given, "images")

    def list(self, *, limit: int = 50, offset: int = 0, sort: str | None = None,
             descending: bool = True, **filters) -> pd.DataFrame:
        """One page of images (newest first by default), ``attrs['total']`` the number
        that match; ``created_utc`` beside ``created_at`` (Unix seconds)."""
        page = self.repository.page(self._filter(filters),
                                    request(offset, limit, sort, descending))
        return add_utc_columns(framed(page), ["created_at"])

    def count(self, **filters) -> int:
        return self.repository.page(self._filter(filters), request(0, 1, None, True)).total

    def get(self, image_id: int) -> ImageRecord:
        return self.repository.get(int(image_id))

    def latest(self) -> ImageRecord | None:
        return self.repository.latest()

    def provenance(self, image_id: int) -> Provenance:
        """The image, its measurement set, the jobs for it and the calibration applied."""
        return self.repository.provenance(int(image_id))

    def qa(self, image_id: int) -> pd.DataFrame:
        """Every QA assessment of the image, newest first."""
        rows = QARepository(self.context.db).image_qa_for(self.get(image_id).path)
        return add_utc_columns(pd.DataFrame([asdict(r) for r in rows]), ["timestamp"])

    # ------------------------------------------------------------- the file
    def path(self, image_id: int):
        """The image file, checked to lie under the data roots (DSA110_DASH_DATA_ROOTS),
        as the server checks it."""
        return self.context.roots.confine(self.get(image_id).path)

    def plane(self, image_id: int) -> ImagePlane:
        """The image's 2-D sky plane (Stokes I, first channel), read lazily."""
        return open_image(self.path(image_id))

    def header(self, image_id: int) -> fits.Header:
        """The FITS header of the image's HDU."""
        return self.plane(image_id).header

    def wcs(self, image_id: int) -> WCS:
        """The celestial WCS of the sky plane (RA/Dec axes)."""
        plane = self.plane(image_id)
        return plane.wcs.celestial if plane.has_celestial else plane.wcs

    def data(self, image_id: int) -> np.ndarray:
        """The sky plane as float32 (Jy/beam for the pipeline's images); row 0 is the
        bottom, as in FITS (``origin="lower"`` when plotting)."""
        return self.plane(image_id).data
