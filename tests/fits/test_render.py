import numpy as np
import pytest
from astropy.io import fits
from fits_engine_helpers import CELL, DEC0, RA0, decode_png, simple_header, write_casa_image

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.fits import (
    COLORMAPS,
    STRETCHES,
    downsample_plane,
    open_image,
    render_array,
    render_png,
)
from dsa110_dashboard.fits.colormaps import lookup_table
from dsa110_dashboard.fits.stretch import apply_stretch
from dsa110_dashboard.fits.synth import write_dsa110_fits


def _write(tmp_path, data, name="img.fits"):
    path = tmp_path / name
    fits.writeto(path, data, simple_header(data.shape))
    return path


@pytest.mark.parametrize("stretch", ["linear", "sqrt", "log", "asinh"])
def test_point_source_stays_brightest_in_place_after_10x(dsa_fits, stretch):
    path, (x, y) = dsa_fits
    rgba = render_array(path, size=100, stretch=stretch, cmap="grey", percentile=(0, 100))
    assert rgba.shape == (100, 100, 4)
    grey = rgba[..., 0].astype(int)
    row, col = np.unravel_index(np.argmax(grey), grey.shape)
    assert (row, col) == (99 - y // 10, x // 10)  # PNG row 0 is the top = last FITS row
    assert grey[row, col] == 255 and (grey == 255).sum() == 1


def test_point_source_saturates_in_default_quicklook(dsa_fits):
    path, (x, y) = dsa_fits
    grey = render_array(path, size=100, cmap="grey")[..., 0]
    assert grey[99 - y // 10, x // 10] == 255
    assert np.median(grey) < 250  # the noise is not all white


def test_point_source_survives_mean_reduction_less_brightly(dsa_fits):
    path, (x, y) = dsa_fits
    values_max = downsample_plane(path, size=100, reduce="max")
    values_mean = downsample_plane(path, size=100, reduce="mean")
    assert values_max[y // 10, x // 10] == pytest.approx(5.0, abs=0.01)
    assert values_mean[y // 10, x // 10] == pytest.approx(5.0 / 100, abs=0.01)


def test_downsample_is_row_chunked_and_exact_on_uneven_sizes(tmp_path):
    rng = np.random.default_rng(5)
    data = rng.normal(size=(1037, 523)).astype(np.float32)
    data[1036, 522] = 50.0  # last pixel: in the short last block of both axes
    plane = open_image(_write(tmp_path, data))
    values = downsample_plane(plane, size=100)
    assert values.shape == (100, round(523 * 100 / 1037))
    assert np.nanmax(values) == 50.0 and values[-1, -1] == 50.0


def test_nan_becomes_transparent(tmp_path):
    data = np.random.default_rng(0).normal(size=(200, 300)).astype(np.float32)
    data[:, :150] = np.nan  # the whole western (left) half
    rgba = render_array(_write(tmp_path, data), size=150)
    assert rgba.shape == (100, 150, 4)
    assert (rgba[:, :75, 3] == 0).all()
    assert (rgba[:, 75:, 3] == 255).all()


def test_inf_does_not_break_limits_or_hide_block(tmp_path):
    data = np.zeros((100, 100), np.float32)
    data[50:60, 50:60] = 1.0
    data[55, 55] = np.inf
    data[5, 5] = -np.inf
    values = downsample_plane(_write(tmp_path, data), size=10)
    assert values[5, 5] == 1.0  # finite max of its block; the Inf is ignored
    assert np.isnan(values).sum() == 0 and np.isfinite(values).all()
    rgba = render_array(_write(tmp_path, data, "b.fits"), size=10, stretch="linear", cmap="grey")
    assert rgba[4, 5, 0] == 255 and rgba[0, 0, 0] == 0


def test_all_nan_image_is_fully_transparent(tmp_path):
    rgba = render_array(_write(tmp_path, np.full((20, 20), np.nan, np.float32)), size=20)
    assert (rgba[..., 3] == 0).all()


@pytest.mark.parametrize("stretch", STRETCHES)
def test_stretches_are_monotonic(tmp_path, stretch):
    ramp = np.tile(np.linspace(-1.0, 3.0, 256, dtype=np.float32), (8, 1))
    rgba = render_array(_write(tmp_path, ramp), size=256, stretch=stretch, cmap="grey",
                        limits=(-1.0, 3.0))
    grey = rgba[0, :, 0].astype(int)
    assert (np.diff(grey) >= 0).all()
    assert grey[0] == 0 and grey[-1] == 255


@pytest.mark.parametrize("stretch", STRETCHES)
def test_stretch_curves_fix_endpoints_and_increase(stretch):
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    y = apply_stretch(x.copy(), stretch)
    assert y[0] == pytest.approx(0, abs=1e-6) and y[-1] == pytest.approx(1, abs=1e-6)
    assert (np.diff(y) > 0).all()


def test_percentile_limits_order_values(tmp_path):
    data = np.random.default_rng(2).normal(size=(64, 64)).astype(np.float32)
    plane = open_image(_write(tmp_path, data))
    rgba = render_array(plane, size=64, stretch="linear", cmap="grey", percentile=(1, 99.5))
    grey = rgba[::-1, :, 0].astype(int)  # back to FITS row order
    order = np.argsort(data, axis=None)
    assert (np.diff(grey.ravel()[order]) >= 0).all()
    assert (grey == 0).sum() >= 0.009 * data.size  # about 1% at or below the low limit
    assert (grey == 255).sum() >= 1


def test_colormaps_are_256_entry_tables():
    for name in COLORMAPS:
        table = lookup_table(name)
        assert table.shape == (256, 4) and table.dtype == np.uint8 and (table[:, 3] == 255).all()
        assert not np.array_equal(table[0], table[-1])
    assert lookup_table("grey")[128, :3].tolist() == [128, 128, 128]
    inferno = lookup_table("inferno")[:, :3].astype(int).sum(axis=1)
    assert inferno[0] < 20 and inferno[-1] > 600  # near-black to pale yellow


def test_png_has_same_pixels_as_array_and_long_side(tmp_path):
    data = np.random.default_rng(1).normal(size=(300, 400)).astype(np.float32)
    data[:10] = np.nan
    path = _write(tmp_path, data)
    png = render_png(path, size=128, cmap="viridis")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = decode_png(png)
    assert decoded.shape == (96, 128, 4)
    np.testing.assert_array_equal(decoded, render_array(path, size=128, cmap="viridis"))


def test_small_image_is_enlarged_to_size(tmp_path):
    data = np.arange(20 * 10, dtype=np.float32).reshape(20, 10)
    rgba = render_array(_write(tmp_path, data), size=64, stretch="linear", cmap="grey",
                        limits=(0, 199))
    assert rgba.shape == (64, 32, 4)
    assert rgba[-1, 0, 0] == 0 and rgba[0, -1, 0] == 255  # bottom-left lowest, top-right highest


def test_fits_and_casa_render_identically(tmp_path):
    data = np.random.default_rng(4).normal(size=(120, 90)).astype(np.float32)
    data[100, 20] = 30.0
    fits_path = tmp_path / "same.fits"
    write_dsa110_fits(fits_path, data, RA0, DEC0, CELL)
    casa_path = write_casa_image(tmp_path / "same.image", data)
    np.testing.assert_array_equal(render_png(fits_path, size=60), render_png(casa_path, size=60))


@pytest.mark.parametrize("kwargs, parameter", [
    ({"size": 0}, "size"),
    ({"size": "big"}, "size"),
    ({"size": True}, "size"),
    ({"size": 100_000}, "size"),
    ({"stretch": "histeq"}, "stretch"),
    ({"cmap": "jet"}, "cmap"),
    ({"percentile": (99, 1)}, "percentile"),
    ({"percentile": (1, 101)}, "percentile"),
    ({"limits": (0, float("nan"))}, "limits"),
    ({"limits": "0,1"}, "limits"),
    ({"reduce": "min"}, "reduce"),
])
def test_invalid_parameters_name_themselves(dsa_fits, kwargs, parameter):
    path, _ = dsa_fits
    with pytest.raises(InvalidInputError) as info:
        render_png(path, **kwargs)
    assert info.value.parameter == parameter
    assert parameter in str(info.value)


def test_invalid_parameter_reported_before_reading_a_bad_file(tmp_path):
    with pytest.raises(InvalidInputError):
        render_png(tmp_path / "missing.fits", cmap="nope")
