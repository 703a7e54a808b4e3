"""GET /api/v1/images/{id}/thumbnail.png on a real server, database and FITS files."""

from __future__ import annotations

import os

import pytest

from api_helpers import Api, Reply, fetch, png_size
from dsa110_dashboard.fits.cache import ThumbnailCache
from dsa110_dashboard.settings import Settings
from server import start_server


def thumb(api: Api, image: str | int, query: str = "", **headers) -> Reply:
    return api.get(image, f"thumbnail.png{query}", **headers)


def test_thumbnail_is_a_png_of_the_requested_size(api):
    reply = thumb(api, "square", "?size=200")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "image/png"
    assert reply.headers["X-Thumbnail-Status"] == "ok"
    assert reply.headers["Cache-Control"] == "public, max-age=300"
    assert reply.headers["ETag"].startswith('"') and reply.headers["ETag"].endswith('"')
    assert png_size(reply.body) == (200, 200)


def test_long_side_is_the_requested_size(api):
    reply = thumb(api, "wide", "?size=160")
    assert reply.status == 200
    width, height = png_size(reply.body)
    assert width == 160 and height < width


def test_if_none_match_gives_304_without_body(api):
    first = thumb(api, "square", "?size=64&stretch=linear")
    etag = first.headers["ETag"]
    again = thumb(api, "square", "?size=64&stretch=linear", **{"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=300"
    other = thumb(api, "square", "?size=64&stretch=linear", **{"If-None-Match": '"nope"'})
    assert other.status == 200 and other.body == first.body


def test_parameters_change_the_etag(api):
    etags = {thumb(api, "square", q).headers["ETag"]
             for q in ("?size=64", "?size=64&stretch=sqrt", "?size=64&cmap=viridis",
                       "?size=65")}
    assert len(etags) == 4


def test_second_request_is_a_cache_hit_with_the_same_etag(api):
    first = thumb(api, "wide", "?size=90&cmap=grey")
    second = thumb(api, "wide", "?size=90&cmap=grey")
    assert first.headers["X-Thumbnail-Cache"] == "miss"
    assert second.headers["X-Thumbnail-Cache"] == "hit"
    assert second.headers["ETag"] == first.headers["ETag"] and second.body == first.body


def test_prerendered_thumbnail_is_a_hit(api, dataset):
    # What `dsa110-dash thumbnails` does: the shared cache, default parameters, real path.
    settings = Settings.load(environ=dataset.env())
    cache = ThumbnailCache(settings.effective_cache_dir / "thumbnails",
                           settings.thumbnail_cache_bytes)
    path = os.path.realpath(dataset.paths["wide"])
    pre = cache.get_or_render(path, size=512, stretch="noise_asinh", cmap="inferno")
    assert pre.ok and not pre.from_cache
    reply = thumb(api, "wide")
    assert reply.status == 200
    assert reply.headers["X-Thumbnail-Cache"] == "hit"
    assert reply.headers["ETag"] == pre.etag
    assert reply.body == pre.data
    assert png_size(reply.body)[0] == 512


@pytest.mark.parametrize("name, reason", [("corrupt", "Corrupt FITS"),
                                          ("missing", "File missing")])
def test_bad_files_get_an_uncached_placeholder_saying_why(api, name, reason):
    reply = thumb(api, name, "?size=128")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "image/png"
    assert reply.headers["X-Thumbnail-Status"] == "placeholder"
    assert reply.headers["X-Thumbnail-Reason"].startswith(reason)
    assert reply.headers["Cache-Control"] == "no-store"
    assert "ETag" not in reply.headers
    assert png_size(reply.body) == (128, 128)


def test_placeholder_is_not_stored_and_a_repaired_file_renders(api, dataset, tmp_path):
    reply = thumb(api, "missing", "?size=48")
    assert reply.headers["X-Thumbnail-Status"] == "placeholder"
    path = dataset.paths["missing"]
    os.link(dataset.paths["square"], path)  # the file arrives
    try:
        reply = thumb(api, "missing", "?size=48")
        assert reply.headers["X-Thumbnail-Status"] == "ok"
        assert png_size(reply.body) == (48, 48)
    finally:
        path.unlink()


@pytest.mark.parametrize("name", ["outside", "symlink"])
def test_file_outside_the_data_roots_is_a_placeholder_saying_so(api, dataset, name):
    """The page shows why instead of a broken image (the FITS download stays 403)."""
    reply = thumb(api, name, "?size=64")
    assert reply.status == 200 and png_size(reply.body) == (64, 64)
    assert reply.headers["X-Thumbnail-Status"] == "placeholder"
    reason = reply.headers["X-Thumbnail-Reason"]
    assert reason.startswith("File outside the data roots: ")
    assert "DSA110_DASH_DATA_ROOTS" in reason
    assert str(dataset.data_dir.parent) not in reason, "no server path without sign-in"
    assert reply.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query, parameter", [
    ("?size=abc", "size"), ("?size=15", "size"), ("?size=2049", "size"),
    ("?size=1.5", "size"), ("?size=-3", "size"), ("?stretch=rainbow", "stretch"),
    ("?cmap=jet", "cmap"),
])
def test_bad_parameters_are_400_naming_the_parameter(api, query, parameter):
    reply = thumb(api, "square", query)
    assert reply.status == 400
    body = reply.json()
    assert body["details"]["parameter"] == parameter
    assert body["error"] == "invalid_parameter"


def test_size_bounds_are_inclusive(api):
    assert png_size(thumb(api, "square", "?size=16").body) == (16, 16)
    assert thumb(api, "square", "?size=2048").status == 200


def test_unknown_id_is_404_json(api):
    for image_id in (999999, "9" * 30):
        reply = thumb(api, image_id)
        assert reply.status == 404
        assert reply.json()["error"] == "not_found"


@pytest.mark.parametrize("raw", ["abc", "-1", "1.0", "0x10", "%E2%80%8B1"])
def test_non_integer_id_is_400_naming_id(api, raw):
    reply = thumb(api, raw)
    assert reply.status == 400
    assert reply.json()["details"]["parameter"] == "id"


def test_render_timeout_is_503_naming_the_timeout(dataset):
    # A render timeout of one microsecond: no render finishes before it.
    running = start_server(dataset.env(DSA110_DASH_TIMEOUT_IMAGE_RENDER="0.000001"))
    try:
        reply = fetch(running.url,
                      f"/api/v1/images/{dataset.ids['square']}/thumbnail.png?size=77")
        assert reply.status == 503
        body = reply.json()
        assert body["error"] == "render_timeout"
        assert "DSA110_DASH_TIMEOUT_IMAGE_RENDER" in body["message"]
        assert fetch(running.url, "/api/v1/health").status == 200
    finally:
        running.stop()


def test_thumbnail_says_which_limits_its_colours_span(api):
    for _ in range(2):  # a miss, then the same PNG from the cache
        reply = thumb(api, "square", "?size=48&cmap=grey")
        scale = dict(part.split("=", 1) for part in
                     reply.headers["X-Thumbnail-Scale"].split("; "))
        assert scale["stretch"] == "noise_asinh" and scale["unit"] == "mJy/beam"
        assert float(scale["vmin"]) < float(scale["background"]) < float(scale["vmax"])
        assert float(scale["sigma"]) > 0
    assert reply.headers["X-Thumbnail-Cache"] == "hit"
    zscale = thumb(api, "square", "?size=48&stretch=zscale_linear")
    assert zscale.headers["X-Thumbnail-Scale"].startswith("stretch=zscale_linear; vmin=")
