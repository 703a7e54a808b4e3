"""CASA image directories (``*.image``, ``*.image.pbcor``, ...) read without CASA.

``casa_formats_io`` returns the pixels in numpy order (last axis = first CASA
axis = RA) and converts the stored coordinate system to a FITS-style WCS, so a
CASA image becomes an ``ImagePlane`` exactly like the equivalent FITS file.
The plane is materialised (CASA stores tiles, not rows, so a lazy row view
would re-read every tile per strip; one plane is at most a few hundred MB).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning

from dsa110_dashboard.errors import ImageReadError
from dsa110_dashboard.fits.plane import ImagePlane
from dsa110_dashboard.fits.reader import select_plane

_TABLE_MAGIC = b"\xbe\xbe\xbe\xbe"


def is_casa_table(path: Path) -> bool:
    try:
        with open(path / "table.dat", "rb") as f:
            return f.read(4) == _TABLE_MAGIC
    except OSError:
        return False


def open_casa_image(path: Path) -> ImagePlane:
    if not is_casa_table(path):
        raise ImageReadError(f"Not a CASA image: {path.name} is a directory without a CASA table")
    from casa_formats_io import coordsys_to_astropy_wcs, image_to_dask
    from casa_formats_io.casa_low_level_io.table import CASATable

    try:
        with warnings.catch_warnings():
            # casa_formats_io warns when it corrects a storage manager's endianness itself
            warnings.simplefilter("ignore", UserWarning)
            keywords = CASATable.read(str(path), endian=">").desc.keywords.as_dict()
    # casa_formats_io fails on a damaged table.dat with whatever its parser meets
    # (AttributeError on a missing column set, TypeError on a wrong field).
    except (OSError, ValueError, KeyError, IndexError, EOFError, NotImplementedError,
            AttributeError, TypeError) as exc:
        raise ImageReadError(f"Corrupt CASA table: {exc} ({path.name})") from exc
    if "coords" not in keywords or not (path / "table.f0_TSM0").exists():
        raise ImageReadError(f"Not a CASA image: {path.name} is a CASA table without image data")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            wcs = coordsys_to_astropy_wcs(keywords["coords"])
        cube = image_to_dask(str(path), memmap=True)
        mask_name = _default_mask(keywords, path)
        mask = image_to_dask(str(path), memmap=True, mask=mask_name) if mask_name else None
    except (OSError, ValueError, KeyError, IndexError, EOFError) as exc:
        raise ImageReadError(f"Corrupt CASA image: {exc} ({path.name})") from exc

    header = _header(wcs, keywords, cube.shape)
    lazy = select_plane(cube, header, path=path, wcs=wcs)
    try:
        data = np.asarray(lazy.raw.compute(scheduler="synchronous"), dtype=np.float32)
        if mask is not None:
            good = select_plane(mask, header, path=path, wcs=wcs).raw.compute(scheduler="synchronous")
            data = np.where(good, data, np.float32(np.nan))
    except (OSError, ValueError) as exc:
        raise ImageReadError(f"Corrupt CASA image data: {exc} ({path.name})") from exc
    return ImagePlane(raw=data, wcs=lazy.wcs, header=header, has_celestial=lazy.has_celestial,
                      path=path, notes=lazy.notes)


def _default_mask(keywords: dict, path: Path) -> str | None:
    name = keywords.get("Image_defaultmask")
    if isinstance(name, str) and name and (path / name / "table.f0_TSM0").exists():
        return name
    return None


def _header(wcs, keywords: dict, numpy_shape: tuple[int, ...]) -> fits.Header:
    """A FITS header equivalent to the CASA image's metadata (beam in degrees)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        header = wcs.to_header()
    header.insert(0, ("NAXIS", len(numpy_shape)))
    for i, n in enumerate(reversed(numpy_shape), start=1):
        header.insert(i, (f"NAXIS{i}", int(n)))
    coords = keywords.get("coords", {})
    if coords.get("telescope"):
        header["TELESCOP"] = coords["telescope"]
    if keywords.get("units"):
        header["BUNIT"] = keywords["units"]
    beam = (keywords.get("imageinfo") or {}).get("restoringbeam") or {}
    for key, name in (("BMAJ", "major"), ("BMIN", "minor"), ("BPA", "positionangle")):
        quantity = beam.get(name)
        if isinstance(quantity, dict) and "value" in quantity:
            unit = {"'": "arcmin", '"': "arcsec"}.get(quantity.get("unit"), quantity.get("unit"))
            try:
                header[key] = (float(quantity["value"]) * u.Unit(unit)).to_value(u.deg)
            except ValueError:
                continue
    return header


def directory_identity(path: Path) -> tuple[int, int]:
    """(total size, newest mtime_ns) of the files under a CASA image directory.

    ``*.lock`` files are left out: casacore rewrites them whenever a tool merely
    opens the image, which would otherwise look like a new image. So are members that
    cannot be resolved (a dangling symlink, a symlink loop): they hold none of the
    image's data, and the image stays as readable as the reader finds it.
    """
    total, newest = 0, 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            if name.endswith(".lock"):
                continue
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:  # gone meanwhile, dangling, or a loop (walk lists it as a file)
                continue
            total += st.st_size
            newest = max(newest, st.st_mtime_ns)
    return total, newest
