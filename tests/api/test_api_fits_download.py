"""GET /api/v1/images/{id}/fits: the registered file, streamed, confined to the roots."""

from __future__ import annotations

import os
from email.utils import parsedate_to_datetime

import pytest

from dsa110_dashboard.api.downloads import CHUNK_BYTES


def test_download_is_the_file_with_the_right_headers(api, dataset):
    path = dataset.paths["square"]
    reply = api.get("square", "fits")
    assert reply.status == 200
    assert reply.body == path.read_bytes()
    assert reply.headers["Content-Type"] == "application/fits"
    assert reply.headers["Content-Length"] == str(path.stat().st_size)
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="{path.name}"')
    assert "filename*=UTF-8''2025-10-17T08%3A00%3A00-image.fits" in disposition
    assert parsedate_to_datetime(reply.headers["Last-Modified"]).timestamp() == int(
        path.stat().st_mtime)
    assert reply.headers["Cache-Control"] == "private, no-cache"
    again = api.get("square", "fits", **{"If-None-Match": reply.headers["ETag"]})
    assert again.status == 304 and again.body == b""


def test_a_file_larger_than_one_chunk_arrives_whole(api, dataset):
    path = dataset.paths["wide"]
    original = path.read_bytes()
    stat = path.stat()
    # Append whole FITS blocks of zeros (valid padding), several chunks' worth.
    big = original + b"\0" * (2880 * ((3 * CHUNK_BYTES) // 2880 + 1))
    path.write_bytes(big)
    try:
        reply = api.get("wide", "fits")
        assert reply.status == 200
        assert len(reply.body) == len(big) > 3 * CHUNK_BYTES
        assert reply.body == big
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_changed_file_gets_a_new_etag(api, dataset):
    path = dataset.paths["wide"]
    first = api.get("wide", "fits").headers["ETag"]
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        reply = api.get("wide", "fits", **{"If-None-Match": first})
        assert reply.status == 200 and reply.headers["ETag"] != first
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize("name", ["outside", "symlink"])
def test_outside_the_roots_is_403_json(api, name):
    reply = api.get(name, "fits")
    assert reply.status == 403
    assert reply.json()["error"] == "forbidden_path"


def test_missing_file_is_404_json(api):
    reply = api.get("missing", "fits")
    assert reply.status == 404
    assert "does not exist" in reply.json()["message"]


def test_casa_directory_is_422_json(api):
    reply = api.get("casa", "fits")
    assert reply.status == 422
    body = reply.json()
    assert body["error"] == "not_downloadable"
    assert "CASA image" in body["message"] and "directory" in body["message"]


def test_corrupt_file_is_still_downloadable_as_registered(api, dataset):
    reply = api.get("corrupt", "fits")
    assert reply.status == 200 and reply.body == dataset.paths["corrupt"].read_bytes()


def test_unknown_and_bad_ids(api):
    assert api.get(987654, "fits").status == 404
    reply = api.get("twelve", "fits")
    assert reply.status == 400 and reply.json()["details"]["parameter"] == "id"
