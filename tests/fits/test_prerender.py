import pytest

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.fits import ThumbnailCache, prerender, render_png


def test_prerender_with_two_workers_then_resume(tmp_path, small_fits_factory, corrupt_fits):
    good = [small_fits_factory(f"p{i}.fits", seed=i) for i in range(4)]
    paths = [*good[:2], corrupt_fits, *good[2:]]
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=50_000_000)
    events = []

    first = prerender(paths, cache, workers=2, size=96, cmap="grey",
                      progress=lambda *event: events.append(event))
    assert (first.rendered, first.skipped_cached) == (4, 0)
    assert len(first.failed) == 1 and first.failed[0][0] == str(corrupt_fits)
    assert "Corrupt FITS" in first.failed[0][1]
    assert sorted(e[0] for e in events) == [1, 2, 3, 4, 5] and all(e[1] == 5 for e in events)
    assert sorted(e[3] for e in events) == ["failed"] + ["rendered"] * 4
    assert cache.stats().count == 4
    for path in good:
        hit = cache.get_or_render(path, size=96, cmap="grey")
        assert hit.from_cache and hit.data == render_png(path, size=96, cmap="grey")

    second = prerender(paths, cache, workers=2, size=96, cmap="grey")
    assert (second.rendered, second.skipped_cached, len(second.failed)) == (0, 4, 1)


def test_prerender_in_process_resumes_a_partial_run(tmp_path, small_fits_factory):
    paths = [small_fits_factory(f"q{i}.fits", seed=i) for i in range(3)]
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=50_000_000)
    cache.get_or_render(paths[0], size=64)  # as if an earlier run stopped after one image
    summary = prerender(paths, cache, workers=1, size=64)
    assert (summary.rendered, summary.skipped_cached, summary.failed) == (2, 1, [])


def test_prerender_rejects_bad_parameters_up_front(tmp_path, small_fits_factory):
    cache = ThumbnailCache(tmp_path / "cache", max_bytes=50_000_000)
    with pytest.raises(InvalidInputError):
        prerender([small_fits_factory("r.fits")], cache, cmap="rainbow")
    assert cache.stats().count == 0
