"""The default quicklook (noise_asinh) shows a radio image's sources, not its noise.

Grey levels of the rendered thumbnail are read at the known positions of the sources of
a DSA-110-like synthetic image (noise 300 uJy/beam, beam-shaped sources with NVSS-like
counts, NaN outside the primary beam); the demo's own images are checked in
tests/demo/test_demo_quicklook.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from dsa110_dashboard.fits import STRETCHES, open_image, render_array, render_png
from dsa110_dashboard.fits.scale_text import header_value, limits_text, png_scale
from dsa110_dashboard.fits.stretch import DEFAULT_STRETCH, scale_for
from dsa110_dashboard.fits.synth import radio_field, write_dsa110_fits
from dsa110_dashboard.viewmodels.image_raster import ImageRaster

SIZE = 2048
THUMB = 512


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    """(path, sources) of a 2048-pixel DSA-110-like snapshot (beam 9 px, 2.9" cells)."""
    data, sources = radio_field(SIZE, beam_fwhm_pix=9.0, seed=4)
    path = tmp_path_factory.mktemp("quicklook") / "field-image.fits"
    write_dsa110_fits(path, data, 128.7, 54.57, 3.5 * 3600 / SIZE)
    return path, sources


def grey_at(grey: np.ndarray, x: float, y: float, scale: float) -> int:
    """Brightest grey within one thumbnail pixel of image pixel (x, y) (row 0 = top)."""
    col, row = int(round(x * scale)), int(round((SIZE - 1 - y) * scale))
    return int(grey[max(0, row - 1):row + 2, max(0, col - 1):col + 2].max())


def test_default_thumbnail_puts_the_background_low_and_bright_sources_high(field):
    path, sources = field
    rgba = render_array(path, size=THUMB, cmap="grey")  # the default stretch
    grey, inside = rgba[..., 0], rgba[..., 3] > 0
    assert np.median(grey[inside]) < 0.25 * 255
    bright = [s for s in sources if s[2] >= 0.1]
    assert len(bright) >= 5
    for x, y, peak in bright:
        assert grey_at(grey, x, y, THUMB / SIZE) >= 0.75 * 255, f"{peak * 1e3:.0f} mJy"
    # Sources at ten times the noise stand well clear of the background.
    faint = [s for s in sources if 3e-3 <= s[2] < 6e-3]
    assert faint
    background = np.median(grey[inside])
    assert np.median([grey_at(grey, x, y, THUMB / SIZE) for x, y, _ in faint]) \
        > background + 0.15 * 255


def test_zscale_asinh_stays_available(field):
    path, _ = field
    assert {"zscale_asinh", "zscale_linear", "linear", "sqrt", "log", "asinh"} <= set(STRETCHES)
    grey = render_array(path, size=THUMB, stretch="zscale_asinh", cmap="grey")[..., 0]
    assert grey.max() == 255


def test_limits_come_from_the_noise_and_the_emission():
    rng = np.random.default_rng(0)
    noise = rng.normal(1e-4, 3e-4, (400, 400)).astype(np.float32)
    scale = scale_for(noise, DEFAULT_STRETCH)
    assert scale.background == pytest.approx(1e-4, abs=2e-5)
    assert scale.noise == pytest.approx(3e-4, rel=0.05)
    assert scale.vmin == pytest.approx(scale.background - 2 * scale.noise)
    # A blank field has no emission: the scale ends at 10 sigma.
    assert scale.vmax == pytest.approx(scale.background + 10 * scale.noise)
    assert scale.softening == pytest.approx(2 * scale.noise)
    noise[100:104, 100:104] = 0.5
    assert scale_for(noise, DEFAULT_STRETCH).vmax == pytest.approx(0.5)


def test_png_says_which_limits_it_shows(field):
    path, _ = field
    record = png_scale(render_png(path, size=128))
    assert record["stretch"] == DEFAULT_STRETCH and record["unit"] == "Jy/beam"
    assert record["vmin"] < record["background"] < record["vmax"]
    assert record["noise"] > 0
    text = limits_text(record)
    assert text.endswith(")") and " mJy/beam (background " in text and "σ" in text
    header = header_value(record)
    assert header.startswith("stretch=noise_asinh; vmin=") and "unit=mJy/beam" in header
    assert header.isascii()
    assert png_scale(b"not a png") is None


def test_viewer_keeps_the_background_low_zoomed_out_and_at_full_resolution(field):
    path, _ = field
    raster = ImageRaster(open_image(path), target=512)
    for x_range, y_range in ((None, None), ((900, 1200), (900, 1200))):
        view = raster.render(x_range, y_range, DEFAULT_STRETCH, "grey")
        inside = view.rgba[..., 3] > 0
        assert np.median(view.rgba[..., 0][inside]) < 0.25 * 255
    record = raster.scale_record(DEFAULT_STRETCH)
    # Background and noise from full-resolution pixels: the 300 uJy/beam put in.
    assert record["noise"] == pytest.approx(3e-4, rel=0.1)
