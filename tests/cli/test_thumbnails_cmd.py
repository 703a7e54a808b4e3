"""``dsa110-dash thumbnails`` over a real database and real FITS files."""

import numpy as np
import pytest
from PIL import Image

from dbsupport import settings_for
from dsa110_dashboard.cli.main import main
from dsa110_dashboard.cli.thumbnails_cmd import parse_since
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.fits.synth import write_dsa110_fits
from factories import UNIX0, insert


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    db_path = data / "pipeline.sqlite3"
    db = Database(settings_for(str(db_path)))
    migrate.upgrade(db)
    rng = np.random.default_rng(0)
    with db.transaction() as conn:
        for i in range(3):
            path = data / "images" / f"img{i}.fits"
            write_dsa110_fits(path, rng.normal(0, 3e-4, (128, 128)).astype("float32"),
                              center_ra=120.0, center_dec=54.57, cell_arcsec=20.0)
            insert(conn, "images", path=str(path), created_at=UNIX0 + i * 86400)
        corrupt = data / "images" / "corrupt.fits"
        corrupt.write_bytes(b"SIMPLE  =                    T" + b"\0" * 50)
        insert(conn, "images", path=str(corrupt), created_at=UNIX0 + 3 * 86400)
        insert(conn, "images", path="/etc/hostname", created_at=UNIX0 + 4 * 86400)
    db.dispose()
    for var in ("DSA110_DASH_DB", "PIPELINE_DB", "PIPELINE_PRODUCTS_DB", "DSA110_DASH_DATA_ROOTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DSA110_DASH_DATA_DIR", str(data))
    return data


def test_prerenders_skips_cached_and_summarises_failures(dataset, capsys):
    code = main(["thumbnails", "--workers", "1"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "3 rendered, 0 already cached, 2 failed" in out
    assert "corrupt.fits" in err and "/etc/hostname" in err
    assert "outside the configured data roots" in err
    pngs = list((dataset / "cache" / "thumbnails").rglob("*.png"))
    assert len(pngs) == 3
    assert all(Image.open(p).size[0] == 512 for p in pngs)
    code = main(["thumbnails", "--workers", "2"])
    out, _ = capsys.readouterr()
    assert "0 rendered, 3 already cached, 2 failed" in out


def test_since_limits_the_images(dataset, capsys):
    main(["thumbnails", "--workers", "1", "--since", "2025-10-19T12:00:00"])
    out, _ = capsys.readouterr()
    assert "1 rendered, 0 already cached, 2 failed" in out


def test_since_accepts_iso_and_mjd_and_rejects_nonsense():
    assert parse_since("2025-10-17") == pytest.approx(1760659200.0)
    assert parse_since("60965") == pytest.approx(1760659200.0)
    with pytest.raises(InvalidInputError):
        parse_since("yesterday-ish")
