"""The API tests' dataset: real FITS files and a real SQLite database with the odd rows a
production database may hold (see conftest.py). A module of its own so tests import it by a
name no other test folder uses (``from conftest import`` clashed with tests/fits)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.fits.synth import sky_image, write_dsa110_fits
from factories import UNIX0, insert

RA0, DEC0, CELL = 150.0, 54.57, 10.0  # degrees, degrees, arcsec per pixel


@dataclass
class Dataset:
    data_dir: Path
    cache_dir: Path
    db_path: Path
    ids: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        return {"DSA110_DASH_DB": str(self.db_path), "DSA110_DASH_DATA_DIR": str(self.data_dir),
                "DSA110_DASH_CACHE_DIR": str(self.cache_dir), **extra}


def make_dataset(root: Path) -> Dataset:
    data = root / "data"
    images = data / "images"
    images.mkdir(parents=True)
    outside = root / "elsewhere"
    outside.mkdir()
    ds = Dataset(data_dir=data, cache_dir=root / "cache", db_path=data / "pipeline.sqlite3")

    sources = [(64, 64, 0.5), (20, 100, 0.1), (100, 30, 0.2)]
    square = images / "2025-10-17T08:00:00-image.fits"
    write_dsa110_fits(square, sky_image((128, 128), sources, beam_fwhm_pix=3.0),
                      center_ra=RA0, center_dec=DEC0, cell_arcsec=CELL)
    wide = images / "2025-10-17T08:05:00-image.fits"
    write_dsa110_fits(wide, sky_image((96, 160), [(80, 48, 0.3)], beam_fwhm_pix=3.0, seed=1),
                      center_ra=RA0 + 1, center_dec=DEC0, cell_arcsec=CELL)
    fine = images / "fine-cell-image.fits"  # 0.5 arcsec pixels: 3600 arcsec is 7200 pixels
    write_dsa110_fits(fine, sky_image((64, 64)), center_ra=RA0, center_dec=DEC0,
                      cell_arcsec=0.5)
    corrupt = images / "corrupt-image.fits"
    corrupt.write_bytes(b"SIMPLE  =                    T" + b"\0" * 50)
    casa = images / "2025-10-17T08:10:00.image"
    casa.mkdir()
    (casa / "table.dat").write_bytes(b"\xbe\xbe\xbe\xbe" + b"\0" * 60)
    far = outside / "far-image.fits"
    write_dsa110_fits(far, sky_image((64, 64)), center_ra=RA0, center_dec=DEC0,
                      cell_arcsec=CELL)
    link = images / "link-image.fits"
    os.symlink(far, link)
    looping = images / "2025-10-17T08:15:00.image"
    os.symlink(looping.name, looping)  # a CASA image path that is a symlink to itself
    notes = images / "notes.txt"
    notes.write_text("pipeline notes, not an image\n")

    files = {"square": (square, "fits"), "wide": (wide, "fits"), "fine": (fine, "fits"),
             "corrupt": (corrupt, "fits"),
             "missing": (images / "never-written-image.fits", "fits"),
             "casa": (casa, "casa"), "outside": (far, "fits"), "symlink": (link, "fits"),
             "nul": (f"{images}/nul-image.fits\0.fits", "fits"),
             "casa_loop": (looping, "casa"), "database": (ds.db_path, "fits"),
             "database_wal": (f"{ds.db_path}-wal", "fits"), "not_fits": (notes, "fits")}
    db = Database(settings_for(str(ds.db_path)))
    migrate.upgrade(db)
    with db.transaction() as conn:
        for n, (name, (path, fmt)) in enumerate(files.items()):
            row = insert(conn, "images", path=str(path), format=fmt,
                         created_at=UNIX0 + n * 300, center_ra_deg=RA0, center_dec_deg=DEC0)
            ds.ids[name] = int(row["id"])
            ds.paths[name] = path
    db.dispose()
    return ds
