"""A cache directory that cannot be written (read-only, full, immutable, its parent a
file) never fails a thumbnail: the PNG is rendered and not kept, one warning is logged
per cache (not one per request), and ``problem``/``probe`` say why."""

import logging
import os

from dsa110_dashboard.fits import ThumbnailCache, render_png
from unusable import full_file_system, read_only

WARNING = "Thumbnail cache"


def warnings_in(caplog):
    return [r for r in caplog.records
            if r.levelno == logging.WARNING and r.getMessage().startswith(WARNING)]


def test_a_cache_whose_parent_is_a_file_renders_without_keeping(tmp_path, caplog,
                                                                 small_fits_factory):
    path = small_fits_factory("a.fits")
    (tmp_path / "data").write_text("a file where the cache's parent should be")
    cache = ThumbnailCache(tmp_path / "data" / "cache", max_bytes=10_000_000)
    results = [cache.get_or_render(path, size=s) for s in (32, 48, 64, 32)]
    assert all(r.ok and not r.in_cache and not r.from_cache for r in results)
    assert results[0].data == render_png(path, size=32)
    assert cache.problem and "Not a directory" in cache.problem
    assert cache.probe() == cache.problem
    assert len(warnings_in(caplog)) == 1, "one warning, not one per request"


def test_a_cache_made_read_only_while_running_degrades_then_recovers(tmp_path, caplog,
                                                                      small_fits_factory):
    path = small_fits_factory("a.fits")
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    assert cache.get_or_render(path, size=32).in_cache and cache.probe() is None
    with read_only(cache.root):
        hit = cache.get_or_render(path, size=32)
        assert hit.from_cache, "what is stored can still be read"
        for size in (48, 56, 64):
            fresh = cache.get_or_render(path, size=size)
            assert fresh.ok and not fresh.in_cache
        assert cache.problem is not None and cache.probe() is not None
        assert not list(cache.root.rglob(".tmp-*")), "no temporary file left behind"
    assert len(warnings_in(caplog)) == 1
    assert cache.get_or_render(path, size=48).in_cache, "usable again once writable"
    assert cache.problem is None and cache.probe() is None


def test_a_full_cache_file_system_renders_without_keeping(tmp_path, caplog,
                                                         small_fits_factory):
    path = small_fits_factory("a.fits")
    with full_file_system(tmp_path / "mnt") as mount:
        cache = ThumbnailCache(mount / "thumbnails", max_bytes=10_000_000)
        for size in (300, 400):
            result = cache.get_or_render(path, size=size)
            assert result.ok and not result.in_cache
        assert "No space left on device" in (cache.probe() or "")
        assert not list(cache.root.rglob(".tmp-*")) if cache.root.exists() else True
    assert len(warnings_in(caplog)) == 1


def test_an_unreadable_cache_entry_is_rendered_again(tmp_path, small_fits_factory):
    path = small_fits_factory("a.fits")
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=10_000_000)
    first = cache.get_or_render(path, size=32)
    entry = next(cache.root.rglob("*.png"))
    entry.unlink()
    os.mkdir(entry)  # reading it now fails with IsADirectoryError, not FileNotFoundError
    again = cache.get_or_render(path, size=32)
    assert again.ok and again.data == first.data and not again.from_cache
