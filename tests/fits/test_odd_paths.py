"""Registered paths no file system likes: a NUL byte, symlink loops in and as CASA images.

The FITS layer turns them into ``ImageReadError`` with the reason, and the image page's
model shows that reason instead of failing ("Something went wrong")."""

import os

import pytest
from fits_engine_helpers import write_casa_image

from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import ImageReadError
from dsa110_dashboard.fits import ThumbnailCache, open_image
from dsa110_dashboard.fits.cache import file_identity
from dsa110_dashboard.fits.synth import sky_image
from dsa110_dashboard.viewmodels.image_detail import DetailData, ImageDetailModel
from factories import insert


@pytest.fixture
def casa_with_a_loop_inside(tmp_path):
    path = write_casa_image(tmp_path / "loop-inside.image", sky_image((64, 64)))
    os.symlink("b", path / "a")
    os.symlink("a", path / "b")
    return path


@pytest.fixture
def self_loop(tmp_path):
    path = tmp_path / "self.image"
    os.symlink(path.name, path)
    return path


def test_a_nul_byte_is_an_unreadable_image(tmp_path):
    path = f"{tmp_path}/a.fits\0.fits"
    for read in (open_image, file_identity):
        with pytest.raises(ImageReadError, match="Invalid path"):
            read(path)


def test_a_path_that_is_a_symlink_loop_says_so_not_missing(self_loop):
    for read in (open_image, file_identity):
        with pytest.raises(ImageReadError, match="Too many levels of symbolic links"):
            read(self_loop)
    result = ThumbnailCache(self_loop.parent / "cache", 10**7).get_or_render(self_loop, size=32)
    assert not result.ok and "Too many levels of symbolic links" in result.reason


def test_a_loop_inside_a_casa_image_leaves_it_readable(tmp_path, casa_with_a_loop_inside):
    assert open_image(casa_with_a_loop_inside).shape == (64, 64)
    cache = ThumbnailCache(tmp_path / "cache", 10**7)
    first = cache.get_or_render(casa_with_a_loop_inside, size=32)
    assert first.ok and first.in_cache
    assert cache.get_or_render(casa_with_a_loop_inside, size=32).from_cache


def test_the_image_page_shows_the_reason(tmp_path, self_loop, casa_with_a_loop_inside):
    db_path = tmp_path / "pipeline.sqlite3"
    db = Database(settings_for(str(db_path)))
    migrate.upgrade(db)
    with db.transaction() as conn:
        ids = {name: insert(conn, "images", path=path, format=fmt)["id"] for name, path, fmt in (
            ("nul", f"{tmp_path}/a.fits\0.fits", "fits"), ("loop", str(self_loop), "casa"),
            ("inside", str(casa_with_a_loop_inside), "casa"))}
    settings = settings_for(str(db_path), DSA110_DASH_DATA_DIR=str(tmp_path))
    model = ImageDetailModel(db, settings)
    shown = {}
    for name, image_id in ids.items():
        model.load(image_id)
        assert isinstance(model.data, DetailData) and model.failure is None, name
        shown[name] = model.data.file_error
    assert "NUL byte" in shown["nul"]
    assert "Too many levels of symbolic links" in shown["loop"]
    assert shown["inside"] is None
    db.dispose()
