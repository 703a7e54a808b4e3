"""Odd rows a production database may hold, and what the endpoints reveal about paths.

A path with a NUL byte and a CASA directory with a symlink loop give a placeholder
(thumbnail) or a 4xx naming the reason (FITS, cutout), never a 500. The database file,
its -wal and the cache are never served whatever the roots say, and the FITS download
serves FITS files only. Without sign-in no response names an absolute server path.
"""

from __future__ import annotations

import pytest

from api_helpers import fetch, png_size
from api_dataset import DEC0, RA0

CUTOUT = f"cutout.fits?ra={RA0}&dec={DEC0}"


@pytest.mark.parametrize("name, reason", [
    ("nul", "NUL byte"), ("casa_loop", "Too many levels of symbolic links")])
def test_odd_paths_give_a_placeholder_thumbnail_with_the_reason(api, name, reason):
    reply = api.get(name, "thumbnail.png?size=96")
    assert reply.status == 200 and png_size(reply.body) == (96, 96)
    assert reply.headers["X-Thumbnail-Status"] == "placeholder"
    assert reason in reply.headers["X-Thumbnail-Reason"]


@pytest.mark.parametrize("endpoint", ["fits", CUTOUT, f"cutout.png?ra={RA0}&dec={DEC0}"])
def test_a_nul_byte_path_is_422_naming_it(api, endpoint):
    reply = api.get("nul", endpoint)
    assert reply.status == 422
    body = reply.json()
    assert body["error"] == "image_unreadable" and "NUL byte" in body["message"]


@pytest.mark.parametrize("endpoint", ["fits", CUTOUT])
def test_a_casa_path_that_is_a_symlink_loop_is_422_with_the_reason(api, endpoint):
    reply = api.get("casa_loop", endpoint)
    assert reply.status == 422
    assert "Too many levels of symbolic links" in reply.json()["message"]


def test_a_damaged_casa_table_is_422_not_500(api):
    reply = api.get("casa", CUTOUT)
    assert reply.status == 422
    assert reply.json()["message"].startswith("Corrupt CASA table")


@pytest.mark.parametrize("name", ["database", "database_wal"])
def test_the_database_is_never_served_though_it_lies_under_a_data_root(api, dataset, name):
    assert dataset.db_path.parent == dataset.data_dir, "the premise: the DB is in a root"
    download = api.get(name, "fits")
    assert download.status == 403
    assert download.json()["error"] == "never_served"
    assert b"SQLite format" not in download.body
    assert api.get(name, CUTOUT).status == 403
    thumbnail = api.get(name, "thumbnail.png")
    assert thumbnail.headers["X-Thumbnail-Status"] == "placeholder"
    assert "never served" in thumbnail.headers["X-Thumbnail-Reason"]


def test_the_download_serves_fits_files_only(api):
    reply = api.get("not_fits", "fits")
    assert reply.status == 422
    assert reply.json()["error"] == "not_downloadable"
    assert "not a FITS file" in reply.json()["message"]
    assert b"pipeline notes" not in reply.body


@pytest.mark.parametrize("name, endpoint", [
    ("missing", "fits"), ("missing", CUTOUT), ("missing", "thumbnail.png"),
    ("corrupt", CUTOUT), ("corrupt", "thumbnail.png"), ("outside", "fits"),
    ("outside", "thumbnail.png"), ("database", "fits"), ("casa_loop", CUTOUT)])
def test_no_response_names_a_server_path_without_sign_in(api, dataset, name, endpoint):
    reply = api.get(name, endpoint)
    assert reply.status != 500
    server_paths = (str(dataset.data_dir.parent), "/tmp/")
    shown = reply.body.decode("latin-1") if reply.headers["Content-Type"].startswith(
        "application/json") else ""
    shown += " ".join(f"{k}: {v}" for k, v in reply.headers.items())
    assert not any(p in shown for p in server_paths), shown


def test_health_names_the_database_without_its_folder(api, dataset):
    reply = fetch(api.url, "/api/v1/health")
    body = reply.json()
    assert body["database"]["target"] == "pipeline.sqlite3"
    assert str(dataset.data_dir) not in reply.body.decode()
