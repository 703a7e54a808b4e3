"""Image QA measured from the pixels of generated images with known noise and sources."""

from __future__ import annotations

import numpy as np
import pytest

from dsa110_dashboard.errors import ImageReadError
from dsa110_dashboard.fits.reader import open_image
from dsa110_dashboard.fits.synth import radio_field, sky_image, write_dsa110_fits
from dsa110_dashboard.jobs.image_qa import (
    CatalogueSource,
    clipped_background,
    measure_image_qa,
    measure_plane_qa,
)

CELL_ARCSEC = 3.0  # the default 18 x 15 arcsec beam spans ~5.5 pixels


def clean_field(size: int, noise: float, seed: int) -> tuple[np.ndarray, list[tuple]]:
    """Beam-shaped sources on a grid, far apart: 12 from 8 to 200 sigma, and 6 at one
    sigma (never a 5-sigma source)."""
    positions = [(x, y) for y in range(40, size - 20, 70) for x in range(40, size - 20, 70)]
    rng = np.random.default_rng(seed)
    bright = [(x, y, noise * s) for (x, y), s in
              zip(positions[:12], rng.uniform(8, 200, 12))]
    faint = [(x, y, noise * 1.0) for x, y in positions[12:18]]
    pixels = sky_image((size, size), bright + faint, noise=noise, beam_fwhm_pix=5.5,
                       seed=seed)
    return pixels, bright


@pytest.mark.parametrize("noise,seed", [(3e-4, 1), (1e-3, 2), (5e-5, 3)])
def test_rms_within_5_percent_of_the_injected_noise_on_a_field_full_of_sources(
        tmp_path, noise, seed):
    pixels, sources = radio_field(768, n_sources=400, beam_fwhm_pix=6.0, noise=noise,
                                  seed=seed)
    path = tmp_path / "field.fits"
    write_dsa110_fits(path, pixels, 131.0, 54.6, CELL_ARCSEC)
    qa = measure_image_qa(str(path))
    assert qa["rms_noise"] == pytest.approx(noise, rel=0.05)
    assert qa["peak_flux"] == pytest.approx(max(p for _, _, p in sources), rel=0.01)
    assert qa["dynamic_range"] == pytest.approx(qa["peak_flux"] / qa["rms_noise"])


def test_clipping_removes_the_sources_that_bias_a_plain_mad():
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 1.0, 200_000)
    polluted = noise.copy()
    polluted[:30_000] += rng.uniform(2, 50, 30_000)  # 15% of the pixels on sources
    plain_mad = 1.4826 * np.median(np.abs(polluted - np.median(polluted)))
    assert plain_mad > 1.15  # what the old seam measured
    assert clipped_background(polluted).rms == pytest.approx(1.0, rel=0.05)
    assert clipped_background(noise).rms == pytest.approx(1.0, rel=0.01)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_the_count_of_5_sigma_sources_is_exact_on_a_clean_field(tmp_path, seed):
    noise = 3e-4
    pixels, bright = clean_field(512, noise, seed)
    path = tmp_path / "clean.fits"
    write_dsa110_fits(path, pixels, 131.0, 54.6, CELL_ARCSEC)
    qa = measure_image_qa(str(path))
    assert qa["num_sources"] == len(bright) == 12


def test_beam_comes_from_the_header_and_the_grade_from_the_dynamic_range(tmp_path):
    pixels, _ = clean_field(256, 3e-4, 5)
    path = tmp_path / "beam.fits"
    write_dsa110_fits(path, pixels, 131.0, 54.6, CELL_ARCSEC, beam=(20 / 3600, 14 / 3600, 33.0))
    qa = measure_image_qa(str(path))
    assert (qa["beam_major"], qa["beam_minor"], qa["beam_pa"]) == pytest.approx((20, 14, 33))
    assert 10 < qa["dynamic_range"] <= 1000 and qa["overall_quality"] in ("marginal", "good")

    write_dsa110_fits(path, pixels, 131.0, 54.6, CELL_ARCSEC, beam=None)
    assert measure_image_qa(str(path))["beam_major"] is None


def test_flux_scale_and_astrometry_against_the_catalogue(tmp_path):
    noise, scale = 3e-4, 0.8
    path = tmp_path / "cat.fits"
    write_dsa110_fits(path, np.zeros((512, 512), np.float32), 131.0, 54.6, CELL_ARCSEC)
    wcs = open_image(path).wcs
    grid = [(x, y) for y in range(60, 460, 80) for x in range(60, 460, 80)]
    nvss = np.linspace(0.02, 0.5, len(grid))  # Jy
    pixels = sky_image((512, 512), [(x, y, scale * f) for (x, y), f in zip(grid, nvss)],
                       noise=noise, beam_fwhm_pix=5.5, seed=4)
    write_dsa110_fits(path, pixels, 131.0, 54.6, CELL_ARCSEC)
    ra, dec = wcs.pixel_to_world_values([x for x, _ in grid], [y for _, y in grid])
    catalogue = [CatalogueSource(float(r), float(d), float(f))
                 for r, d, f in zip(ra, dec, nvss)]
    # Outside the image, below the NVSS cut and not detected: not counted as matches.
    catalogue += [CatalogueSource(140.0, 54.6, 0.1), CatalogueSource(float(ra[0]),
                                                                      float(dec[0]), 0.001)]
    qa = measure_image_qa(str(path), catalogue)["catalogue"]
    assert qa["n_matched"] == qa["n_catalogue"] == len(grid)
    assert qa["flux_scale_ratio"] == pytest.approx(scale, rel=0.02)
    assert qa["astrometry_offset_arcsec"] < 0.5

    # The catalogue 4 arcsec north of the sources: a 4 arcsec systematic offset.
    shifted = [CatalogueSource(s.ra_deg, s.dec_deg + 4 / 3600, s.nvss_flux_jy)
               for s in catalogue[:len(grid)]]
    qa = measure_image_qa(str(path), shifted)["catalogue"]
    assert qa["astrometry_offset_arcsec"] == pytest.approx(4.0, abs=0.6)
    assert qa["n_matched"] == len(grid)

    # Beyond the 10 arcsec match radius nothing matches: no ratio, no offset (not 0).
    far = [CatalogueSource(s.ra_deg, s.dec_deg + 30 / 3600, s.nvss_flux_jy)
           for s in catalogue[:len(grid)]]
    qa = measure_image_qa(str(path), far)["catalogue"]
    assert (qa["n_matched"], qa["flux_scale_ratio"],
            qa["astrometry_offset_arcsec"]) == (0, None, None)


def test_a_big_image_is_read_in_strips_never_whole(tmp_path):
    pixels, _ = clean_field(1500, 3e-4, 9)
    path = tmp_path / "big.fits"
    write_dsa110_fits(path, pixels, 131.0, 54.6, CELL_ARCSEC)
    plane = open_image(path)
    qa = measure_plane_qa(plane)
    assert "data" not in plane.__dict__  # the whole-plane float32 copy was never made
    assert qa["rms_noise"] == pytest.approx(3e-4, rel=0.05)


def test_blank_and_constant_images_have_no_noise_and_unknown_grade(tmp_path):
    path = tmp_path / "blank.fits"
    write_dsa110_fits(path, np.full((64, 64), np.nan, np.float32), 131.0, 54.6, CELL_ARCSEC)
    qa = measure_image_qa(str(path))
    assert (qa["rms_noise"], qa["peak_flux"], qa["num_sources"], qa["overall_quality"]) == (
        None, None, None, "unknown")
    write_dsa110_fits(path, np.full((64, 64), 2.0, np.float32), 131.0, 54.6, CELL_ARCSEC)
    qa = measure_image_qa(str(path))
    assert qa["rms_noise"] is None and qa["peak_flux"] == 2.0
    assert qa["overall_quality"] == "unknown"


def test_a_corrupt_file_raises_the_read_error(tmp_path):
    path = tmp_path / "broken.fits"
    path.write_bytes(b"SIMPLE  = T" * 5)
    with pytest.raises(ImageReadError, match="FITS"):
        measure_image_qa(str(path))


def test_an_island_across_strips_is_one_source_and_a_striped_plane_no_count(
        tmp_path, monkeypatch):
    import dsa110_dashboard.jobs.image_qa as image_qa

    noise = 1e-3
    pixels = sky_image((700, 200), [], noise=noise, seed=8)
    pixels[200:330, 100] += 20 * noise  # a thin bar over rows 200-329: strips end at 256
    pixels[400:403, 20:23] += 30 * noise  # and a 3 x 3 blob
    path = tmp_path / "bar.fits"
    write_dsa110_fits(path, pixels, 131.0, 54.6, 20.0)  # beam (18") below one pixel
    assert measure_image_qa(str(path))["num_sources"] == 2

    monkeypatch.setattr(image_qa, "MAX_RUNS", 10)
    stripes = sky_image((300, 300), [], noise=noise, seed=9)
    stripes[::4, :] += 50 * noise  # every 4th row bright: 75 runs
    write_dsa110_fits(path, stripes, 131.0, 54.6, 3.0)
    qa = measure_image_qa(str(path))
    assert qa["num_sources"] is None and qa["rms_noise"] is not None


def test_flux_scale_reads_the_peak_of_a_coarsely_sampled_source_off_pixel_centres(tmp_path):
    """A beam 1.4 pixels wide (the demo's), elliptical and turned, with its sources at
    sub-pixel offsets: the brightest pixel alone reads up to ~40% low; the flux scale
    (the Gaussian through the 3 x 3 pixels around it) reads the known flux, and the
    position within a fraction of a pixel."""
    size, cell, noise = 400, 12.0, 3e-4
    s_maj, s_min, pa = 1.6 / 2.3548, 1.3 / 2.3548, np.radians(30.0)
    rng = np.random.default_rng(21)
    grid = [(x + rng.uniform(-0.5, 0.5), y + rng.uniform(-0.5, 0.5))
            for y in range(30, size - 20, 40) for x in range(30, size - 20, 40)]
    nvss = rng.uniform(0.03, 0.3, len(grid))  # 100 to 1000 sigma
    yy, xx = np.mgrid[:size, :size]
    pixels = rng.normal(0.0, noise, (size, size))
    brightest = []
    for (x, y), flux in zip(grid, nvss):
        dx, dy = xx - x, yy - y
        u = -dx * np.sin(pa) + dy * np.cos(pa)
        v = dx * np.cos(pa) + dy * np.sin(pa)
        pixels += flux * np.exp(-0.5 * ((u / s_maj) ** 2 + (v / s_min) ** 2))
        brightest.append(float(pixels[int(round(y)), int(round(x))]) / flux)
    path = tmp_path / "coarse.fits"
    write_dsa110_fits(path, pixels, 131.0, 54.6, cell,
                      beam=(1.6 * cell / 3600, 1.3 * cell / 3600, 30.0))
    ra, dec = open_image(path).wcs.pixel_to_world_values([x for x, _ in grid],
                                                         [y for _, y in grid])
    catalogue = [CatalogueSource(float(r), float(d), float(f))
                 for r, d, f in zip(ra, dec, nvss)]
    assert min(brightest) < 0.7 and np.median(brightest) < 0.9  # what the pixel reads
    qa = measure_image_qa(str(path), catalogue)["catalogue"]
    assert qa["n_matched"] == len(grid)
    assert qa["flux_scale_ratio"] == pytest.approx(1.0, abs=0.01)
    assert qa["astrometry_offset_arcsec"] < 0.1 * cell


def test_refined_peak_is_exact_for_a_sampled_gaussian_and_declines_a_flat_top():
    from dsa110_dashboard.jobs.image_qa import refine_peak

    oy, ox = np.mgrid[-1:2, -1:2]
    around = 2.0 * np.exp(-0.5 * (((ox - 0.3) / 0.7) ** 2 + ((oy + 0.2) / 0.5) ** 2
                                  + 0.8 * (ox - 0.3) * (oy + 0.2)))
    peak, dx, dy = refine_peak(around)
    assert (peak, dx, dy) == pytest.approx((2.0, 0.3, -0.2), abs=1e-9)
    # No maximum (a plane, a valley) or too few positive pixels: the caller keeps the pixel.
    assert refine_peak(np.ones((3, 3))) is None
    assert refine_peak(np.array([[-1, -1, -1], [-1, 1, -1], [-1, -1, -1]])) is None
