import multiprocessing
import os

import numpy as np
import pytest
from fits_engine_helpers import CELL, DEC0, RA0, decode_png, write_casa_image
from PIL import Image

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.fits import ThumbnailCache, render_png
from dsa110_dashboard.fits.synth import sky_image, write_dsa110_fits



def _cache_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_miss_then_hit(tmp_path, small_fits_factory):
    path = small_fits_factory("a.fits")
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    first = cache.get_or_render(path, size=64)
    second = cache.get_or_render(path, size=64)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert first.data == second.data == render_png(path, size=64)
    assert first.etag == second.etag and first.etag.startswith('"') and first.etag.endswith('"')
    assert cache.stats().count == 1 and cache.stats().bytes == len(first.data)
    assert cache.contains(path, size=64) and not cache.contains(path, size=65)


def test_parameters_are_part_of_the_key(tmp_path, small_fits_factory):
    path = small_fits_factory("a.fits")
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    etags = {cache.get_or_render(path, size=64, cmap=c).etag for c in ("grey", "inferno")}
    etags.add(cache.get_or_render(path, size=64, stretch="linear").etag)
    assert len(etags) == 3 and cache.stats().count == 3


def test_changed_file_is_rendered_again(tmp_path, small_fits_factory):
    path = small_fits_factory("a.fits")
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    before = cache.get_or_render(path, size=64)
    # same size, new content and mtime
    write_dsa110_fits(path, sky_image((256, 320), [(10, 10, 9.0)], seed=9), RA0, DEC0, CELL)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    after = cache.get_or_render(path, size=64)
    assert not after.from_cache and after.etag != before.etag and after.data != before.data
    # touching alone (mtime) also invalidates, as does a size change
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    assert not cache.get_or_render(path, size=64).from_cache
    with open(path, "ab") as f:
        f.write(b"\0" * 2880)
    assert not cache.get_or_render(path, size=64).from_cache


def test_casa_directory_identity_follows_its_files(tmp_path):
    path = write_casa_image(tmp_path / "c.image", np.ones((32, 32), np.float32))
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    assert not cache.get_or_render(path, size=32).from_cache
    assert cache.get_or_render(path, size=32).from_cache
    data_file = path / "table.f0_TSM0"
    st = data_file.stat()
    os.utime(data_file, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert not cache.get_or_render(path, size=32).from_cache


def test_lru_eviction_keeps_recently_used(tmp_path, small_fits_factory):
    paths = [small_fits_factory(f"f{i}.fits", seed=i) for i in range(4)]
    one = len(render_png(paths[0], size=128))
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=int(one * 3.5))
    for p in paths[:3]:
        cache.get_or_render(p, size=128)
    # make the recency order explicit: f0 oldest, then f1, then f2
    for age, p in zip((300, 200, 100), paths[:3]):
        entry = cache.root / (k := cache.key_for(p, size=128))[:2] / f"{k}.png"
        t = entry.stat().st_mtime_ns - age * 1_000_000_000
        os.utime(entry, ns=(t, t))
    assert cache.get_or_render(paths[0], size=128).from_cache  # a hit makes f0 the newest
    cache.get_or_render(paths[3], size=128)  # over the limit: evict down to 90%
    stats = cache.stats()
    assert stats.bytes <= cache.max_bytes
    assert cache.contains(paths[0], size=128) and cache.contains(paths[3], size=128)
    assert not cache.contains(paths[1], size=128)  # least recently used went first


def test_placeholders_are_not_stored(tmp_path, small_fits_factory):
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    missing = tmp_path / "later.fits"
    result = cache.get_or_render(missing, size=64)
    assert not result.ok and result.reason.startswith("File missing") and not result.from_cache
    assert decode_png(result.data).shape == (64, 64, 4)
    assert cache.stats().count == 0
    small_fits_factory("later.fits")  # the file arrives
    arrived = cache.get_or_render(missing, size=64)
    assert arrived.ok and arrived.etag != result.etag and cache.stats().count == 1


def test_corrupt_file_placeholder(tmp_path, corrupt_fits):
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    result = cache.get_or_render(corrupt_fits, size=64)
    assert not result.ok and "Corrupt FITS" in result.reason and cache.stats().count == 0


def test_bad_parameters_raise(tmp_path, small_fits_factory):
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    with pytest.raises(InvalidInputError):
        cache.get_or_render(small_fits_factory("a.fits"), size=-3)


def test_clear_and_stats(tmp_path, small_fits_factory):
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    for i in range(3):
        cache.get_or_render(small_fits_factory(f"s{i}.fits", seed=i), size=48)
    assert cache.stats().count == 3
    cache.clear()
    assert cache.stats().count == 0 and cache.stats().bytes == 0


def _hammer(root: str, paths: list[str], sizes: list[int]) -> None:
    cache = ThumbnailCache(root, max_bytes=50_000_000)
    for _ in range(3):
        for path in paths:
            for size in sizes:
                cache.get_or_render(path, size=size)


def test_two_processes_writing_at_once_leave_only_whole_pngs(tmp_path, small_fits_factory):
    paths = [str(small_fits_factory(f"c{i}.fits", seed=i)) for i in range(4)]
    root = tmp_path / "cache"
    ThumbnailCache(root, max_bytes=50_000_000)
    context = multiprocessing.get_context("spawn")
    # same keys (size 64 in both) and different keys (80 vs 96) at the same time
    workers = [context.Process(target=_hammer, args=(str(root), paths, sizes))
               for sizes in ([64, 80], [96, 64])]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    files = _cache_files(root)
    assert not [f for f in files if f.name.startswith(".tmp-")]
    assert len(files) == len(paths) * 3
    for f in files:
        with Image.open(f) as image:
            image.verify()
    cache = ThumbnailCache(root, max_bytes=50_000_000)
    for path in paths:
        hit = cache.get_or_render(path, size=64)
        assert hit.from_cache and hit.data == render_png(path, size=64)
