"""Open a FITS file or CASA image directory as an ``ImagePlane``.

Every expected failure (missing, truncated, corrupt, not an image) becomes an
``ImageReadError`` whose message starts with a short reason a person can read.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS

from dsa110_dashboard.errors import ImageReadError
from dsa110_dashboard.fits.plane import ImagePlane

log = logging.getLogger(__name__)

_IMAGE_HDUS = (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)
#: Every FITS file starts with this card (FITS standard 4.0, section 4.4.1.1).
FITS_SIGNATURE = b"SIMPLE  ="


def has_fits_signature(head: bytes) -> bool:
    """Whether the first bytes of a file are those of a FITS file."""
    return head.startswith(FITS_SIGNATURE)


def open_image(path: str | os.PathLike[str]) -> ImagePlane:
    """Read the first 2-D sky plane (Stokes I, first channel) of a FITS file or CASA image."""
    path = Path(path)
    try:
        path.stat()
    except FileNotFoundError:
        raise ImageReadError(f"File missing: {path}") from None
    except OSError as exc:  # a symlink loop, no access to a parent directory
        raise ImageReadError(f"File unreadable: {exc.strerror} ({path.name})") from None
    except ValueError as exc:  # a NUL byte in the path
        raise ImageReadError(f"Invalid path: {exc}") from None
    if path.is_dir():
        from dsa110_dashboard.fits.casa import open_casa_image  # casa_formats_io pulls in dask

        return open_casa_image(path)
    return _open_fits(path)


def _open_fits(path: Path) -> ImagePlane:
    file_size = _file_size(path)
    if file_size == 0:
        raise ImageReadError(f"Empty file: {path}")
    try:
        with warnings.catch_warnings():
            # Truncation and header-verification warnings are re-detected below
            # and reported as errors; the warnings themselves are only noise.
            warnings.simplefilter("ignore", AstropyWarning)
            # Our own file object: astropy leaks its handle when the header fails to parse.
            with open(path, "rb") as fileobj, fits.open(
                    fileobj, memmap=True, do_not_scale_image_data=True, lazy_load_hdus=True) as hdul:
                hdu = _first_image_hdu(hdul, path)
                header = hdu.header.copy()
                if not isinstance(hdu, fits.CompImageHDU):
                    _check_complete(hdu, header, file_size, path)
                raw = hdu.data
    except ImageReadError:
        raise
    except PermissionError as exc:
        raise ImageReadError(f"File unreadable: {exc}") from exc
    except (OSError, ValueError, TypeError, IndexError, KeyError, fits.VerifyError) as exc:
        # astropy reports a damaged file through any of these, depending on where
        # the damage is (header parse, card value, data buffer shorter than NAXISn).
        detail = str(exc) if isinstance(exc, (OSError, ValueError)) else f"{type(exc).__name__} {exc}"
        raise ImageReadError(f"Corrupt FITS: {detail} ({path.name})") from exc
    if raw is None or raw.ndim < 2:
        raise ImageReadError(f"Not an image: no 2-D image data in {path.name}")
    blank = header.get("BLANK") if raw.dtype.kind in "iu" else None
    return select_plane(
        raw, header, path=path,
        bscale=float(header.get("BSCALE", 1.0)), bzero=float(header.get("BZERO", 0.0)),
        blank=int(blank) if isinstance(blank, (int, np.integer)) else None,
    )


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise ImageReadError(f"File unreadable: {exc}") from exc


def _first_image_hdu(hdul: fits.HDUList, path: Path) -> fits.hdu.base.ExtensionHDU:
    for hdu in hdul:
        if isinstance(hdu, _IMAGE_HDUS) and int(hdu.header.get("NAXIS", 0)) >= 2:
            dims = [int(hdu.header.get(f"NAXIS{i}", 0)) for i in range(1, hdu.header["NAXIS"] + 1)]
            if all(d > 0 for d in dims) and sum(d > 1 for d in dims) >= 2:
                return hdu
    raise ImageReadError(f"Not an image: no HDU with 2-D image data in {path.name}")


def _check_complete(hdu, header: fits.Header, file_size: int, path: Path) -> None:
    """Raise when the file ends before the data the header promises."""
    naxes = [int(header[f"NAXIS{i}"]) for i in range(1, int(header["NAXIS"]) + 1)]
    needed = hdu.fileinfo()["datLoc"] + abs(int(header["BITPIX"])) // 8 * int(np.prod(naxes))
    if file_size < needed:
        raise ImageReadError(
            f"Truncated FITS: {file_size} bytes, header needs {needed} ({path.name})"
        )


def select_plane(raw: np.ndarray, header: fits.Header, *, path: Path | None,
                 bscale: float = 1.0, bzero: float = 0.0, blank: int | None = None,
                 wcs: WCS | None = None) -> ImagePlane:
    """Index an N-D array (numpy axis order) down to its celestial plane.

    Stokes axes longer than 1 take the plane whose value is 1 (I); every other
    non-celestial axis takes its first pixel. Without a celestial WCS the first
    two FITS axes are used.
    """
    ndim = raw.ndim
    notes: list[str] = []
    if wcs is None:
        wcs = _header_wcs(header, ndim, notes)
    lng, lat = (wcs.wcs.lng, wcs.wcs.lat) if wcs is not None and wcs.has_celestial else (-1, -1)
    has_celestial = lng >= 0 and lat >= 0
    keep = (lng, lat) if has_celestial else (0, 1)

    index: list[int | slice] = []
    for np_axis in range(ndim):
        fits_axis = ndim - 1 - np_axis  # numpy axes are FITS axes reversed
        length = raw.shape[np_axis]
        if fits_axis in keep:
            index.append(slice(None))
        elif length > 1 and _ctype(header, fits_axis) == "STOKES":
            index.append(_stokes_i_index(header, fits_axis, length, notes))
        else:
            if length > 1:
                notes.append(f"axis {fits_axis + 1} ({_ctype(header, fits_axis) or '?'}): first plane")
            index.append(0)
    plane = raw[tuple(index)]
    if keep[0] > keep[1]:
        # Longitude stored on the slower axis: transpose so columns are always RA.
        plane = plane.T
    if has_celestial:
        wcs2d = wcs.sub([keep[0] + 1, keep[1] + 1])
    elif wcs is not None:
        wcs2d = wcs.sub([1, 2])
    else:
        wcs2d = WCS(naxis=2)
    wcs2d.pixel_shape = (plane.shape[1], plane.shape[0])
    return ImagePlane(raw=plane, wcs=wcs2d, header=header, has_celestial=has_celestial,
                      path=path, bscale=bscale, bzero=bzero, blank=blank, notes=tuple(notes))


def _header_wcs(header: fits.Header, ndim: int, notes: list[str]) -> WCS | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            return WCS(header, naxis=ndim)
    except (ValueError, KeyError, MemoryError) as exc:
        # A broken WCS still leaves a viewable image; say so instead of failing.
        log.warning("Ignoring unusable WCS: %s", exc)
        notes.append(f"WCS unusable: {exc}")
        return None


def _ctype(header: fits.Header, fits_axis: int) -> str:
    return str(header.get(f"CTYPE{fits_axis + 1}", "")).strip().upper()


def _stokes_i_index(header: fits.Header, fits_axis: int, length: int, notes: list[str]) -> int:
    n = fits_axis + 1
    crval = float(header.get(f"CRVAL{n}", 1.0))
    cdelt = float(header.get(f"CDELT{n}", 1.0)) or 1.0
    crpix = float(header.get(f"CRPIX{n}", 1.0))
    pixel = int(round(crpix + (1.0 - crval) / cdelt)) - 1  # Stokes I has value 1
    if 0 <= pixel < length:
        return pixel
    notes.append("no Stokes I plane; first Stokes plane shown")
    return 0
