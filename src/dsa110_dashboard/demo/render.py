"""One image end to end: draw the pixels, write the FITS file(s), measure them.

Runs in worker processes: the catalogue positions reach each worker once (pool
initializer); a job carries only the per-image numbers. Each image draws its noise
from its own seed, so results do not depend on how images are spread over workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

from . import images as im
from .photometry import Forced, forced_photometry

_CATALOGUE: dict[str, np.ndarray] = {}


def init_worker(ra: np.ndarray, dec: np.ndarray) -> None:
    _CATALOGUE["ra"] = ra
    _CATALOGUE["dec"] = dec


@dataclass
class ImageJob:
    index: int
    path: str
    header: fits.Header
    size: int
    seed: tuple[int, int, int]
    noise_jy: float
    center_ra: float
    center_dec: float
    candidates: np.ndarray       # catalogue indices near the field
    peak_jyb: np.ndarray         # their apparent (PB-attenuated, gain-scaled) peaks
    defect: str | None
    pbcor_path: str | None


@dataclass
class ImageResult:
    index: int
    stats: im.ImageStats
    forced: Forced | None        # None: no photometry (blank image)
    pbcor_stats: im.ImageStats | None
    nbytes: int


def process(job: ImageJob) -> ImageResult:
    ra, dec = _CATALOGUE["ra"], _CATALOGUE["dec"]
    geom = im.Geometry(job.size)
    wcs = im.celestial_wcs(job.header)
    x, y = wcs.world_to_pixel_values(ra[job.candidates], dec[job.candidates])
    rng = np.random.default_rng(job.seed)
    image = im.render(geom, np.asarray(x), np.asarray(y), job.peak_jyb, job.noise_jy, rng)
    if job.defect:
        image = im.add_defect(image, job.defect, job.noise_jy, rng)
    path = Path(job.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.write_fits(path, image, job.header)
    nbytes = path.stat().st_size
    stats = im.measure(image)
    forced = None
    if not stats.blank:
        forced = forced_photometry(image, wcs, geom, ra, dec, job.center_ra, job.center_dec,
                                   candidates=job.candidates)
    pbcor_stats = None
    if job.pbcor_path:
        pbcor = image / _pb_map(geom, wcs, job.center_ra, job.center_dec)
        header = job.header.copy()
        header["PBCOR"] = (True, "divided by the Gaussian primary beam")
        im.write_fits(Path(job.pbcor_path), pbcor.astype(np.float32), header)
        nbytes += Path(job.pbcor_path).stat().st_size
        pbcor_stats = im.measure(pbcor)
    return ImageResult(job.index, stats, forced, pbcor_stats, nbytes)


def _pb_map(geom: im.Geometry, wcs, ra0: float, dec0: float) -> np.ndarray:
    from ..scale.model import angular_sep_deg

    yy, xx = np.mgrid[:geom.size, :geom.size]
    ra, dec = wcs.pixel_to_world_values(xx, yy)
    return im.primary_beam(angular_sep_deg(ra0, dec0, ra, dec)).astype(np.float32)
