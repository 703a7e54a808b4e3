"""``ImagePlane``: one 2-D sky plane of an image, read lazily from its file."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS


@dataclass(frozen=True, eq=False)
class ImagePlane:
    """A 2-D image plane: rows are declination (row 0 = bottom), columns RA.

    ``raw`` is the pixel array exactly as stored (often a big-endian or integer
    memory map); ``data`` is the native float32 version, built on first use.
    Code that only needs a reduced view (thumbnails, cutouts) should use
    ``rows``/``region`` so the full float32 copy is never made.
    """

    raw: np.ndarray
    wcs: WCS
    header: fits.Header
    has_celestial: bool
    path: Path | None = None
    bscale: float = 1.0
    bzero: float = 0.0
    blank: int | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.raw.shape[0]), int(self.raw.shape[1]))

    @cached_property
    def data(self) -> np.ndarray:
        """The whole plane as native float32 (a copy unless already native float32)."""
        return self.region(slice(None), slice(None))

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` as native float32, scaled, with BLANK as NaN."""
        return self.region(slice(start, stop), slice(None))

    def region(self, yslice: slice, xslice: slice) -> np.ndarray:
        """A rectangle as native float32, scaled, with BLANK as NaN."""
        return to_float32(self.raw[yslice, xslice], self.bscale, self.bzero, self.blank)


def to_float32(block: np.ndarray, bscale: float = 1.0, bzero: float = 0.0,
               blank: int | None = None) -> np.ndarray:
    """Native-endian float32 physical values of a block of stored values."""
    block = np.asarray(block)
    if block.dtype == np.float32 and block.dtype.isnative and bscale == 1.0 and bzero == 0.0:
        return block
    out = block.astype(np.float32)
    if blank is not None and block.dtype.kind in "iu":
        out[block == blank] = np.nan
    if bscale != 1.0:
        out *= np.float32(bscale)
    if bzero != 0.0:
        out += np.float32(bzero)
    return out
