import mmap

import numpy as np
import pytest
from astropy.io import fits

from dsa110_dashboard.errors import ImageReadError
from dsa110_dashboard.fits import open_image
from dsa110_dashboard.fits.synth import dsa110_header, write_dsa110_fits

from fits_engine_helpers import CELL, DEC0, RA0, casa_world, simple_header, write_casa_image


def _native_f32(a: np.ndarray) -> bool:
    return a.dtype == np.float32 and a.dtype.isnative


def _memory_mapped(a: np.ndarray) -> bool:
    base = a
    while base is not None:
        if isinstance(base, (np.memmap, mmap.mmap)):
            return True
        base = getattr(base, "base", None)
    return False


def _ramp(shape=(60, 80)) -> np.ndarray:
    return np.arange(np.prod(shape), dtype=np.float32).reshape(shape)


def test_2d_fits(tmp_path):
    data = _ramp()
    path = tmp_path / "a.fits"
    fits.writeto(path, data, simple_header(data.shape))
    plane = open_image(path)
    assert plane.shape == (60, 80)
    assert _native_f32(plane.data)
    np.testing.assert_array_equal(plane.data, data)
    assert plane.has_celestial
    assert plane.wcs.naxis == 2 and plane.wcs.pixel_shape == (80, 60)


def test_big_endian_data_stays_memory_mapped_until_converted(tmp_path):
    data = _ramp()
    path = tmp_path / "be.fits"
    fits.writeto(path, data.astype(">f4"), simple_header(data.shape))
    plane = open_image(path)
    assert plane.raw.dtype.byteorder == ">"
    assert _memory_mapped(plane.raw)
    strip = plane.rows(10, 12)
    assert _native_f32(strip)
    np.testing.assert_array_equal(strip, data[10:12])
    np.testing.assert_array_equal(plane.data, data)


def test_4d_degenerate_axes_are_squeezed(tmp_path):
    data = _ramp()
    path = tmp_path / "cube.fits"
    write_dsa110_fits(path, data, RA0, DEC0, CELL)
    assert fits.getdata(path).shape == (1, 1, 60, 80)
    plane = open_image(path)
    np.testing.assert_array_equal(plane.data, data)
    ra, dec = plane.wcs.pixel_to_world_values(40, 30)  # CRPIX = n/2 + 1 (1-based)
    assert ra == pytest.approx(RA0) and dec == pytest.approx(DEC0)


def test_two_stokes_planes_pick_stokes_i(tmp_path):
    i_plane, q_plane = _ramp(), -_ramp()
    path = tmp_path / "iq.fits"
    write_dsa110_fits(path, i_plane, RA0, DEC0, CELL, extra_planes=[q_plane])
    plane = open_image(path)
    np.testing.assert_array_equal(plane.data, i_plane)


def test_stokes_i_found_when_not_first(tmp_path):
    """STOKES axis ordered (Q, I): CRVAL4=2, CDELT4=-1 puts I at the second pixel."""
    i_plane, q_plane = _ramp(), -_ramp()
    header = dsa110_header(i_plane.shape, RA0, DEC0, CELL)
    header["CRVAL4"], header["CDELT4"] = 2.0, -1.0
    cube = np.stack([q_plane, i_plane])[:, None]
    path = tmp_path / "qi.fits"
    fits.writeto(path, cube, header)
    np.testing.assert_array_equal(open_image(path).data, i_plane)


def test_several_channels_first_chosen(tmp_path):
    planes = [_ramp() + 1000 * k for k in range(3)]
    header = dsa110_header(planes[0].shape, RA0, DEC0, CELL)
    path = tmp_path / "chan.fits"
    fits.writeto(path, np.stack(planes)[None], header)  # (stokes 1, freq 3, dec, ra)
    plane = open_image(path)
    np.testing.assert_array_equal(plane.data, planes[0])
    assert any("first plane" in note for note in plane.notes)


def test_int16_with_bscale_bzero_and_blank(tmp_path):
    stored = (np.arange(60 * 80) % 2000 - 1000).astype(np.int16).reshape(60, 80)
    stored[5, 7] = -32768
    hdu = fits.PrimaryHDU(stored, header=simple_header(stored.shape))
    hdu.header["BSCALE"], hdu.header["BZERO"], hdu.header["BLANK"] = 0.25, 100.0, -32768
    path = tmp_path / "int.fits"
    hdu.writeto(path)
    plane = open_image(path)
    expected = stored.astype(np.float32) * 0.25 + 100.0
    expected[5, 7] = np.nan
    assert _native_f32(plane.data)
    np.testing.assert_array_equal(plane.data, expected)


def test_nan_and_inf_are_kept(tmp_path):
    data = _ramp()
    data[0, 0], data[1, 1], data[2, 2] = np.nan, np.inf, -np.inf
    path = tmp_path / "naninf.fits"
    fits.writeto(path, data, simple_header(data.shape))
    got = open_image(path).data
    assert np.isnan(got[0, 0]) and got[1, 1] == np.inf and got[2, 2] == -np.inf


def test_tile_compressed_image(tmp_path):
    ints = (np.arange(60 * 80, dtype=np.int32) * 7).reshape(60, 80)
    floats = np.random.default_rng(3).normal(size=(60, 80)).astype(np.float32)
    path_i, path_f = tmp_path / "ci.fits.fz", tmp_path / "cf.fits.fz"
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(ints, simple_header(ints.shape))]).writeto(path_i)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(floats, simple_header(floats.shape),
                                                       compression_type="GZIP_2",
                                                       quantize_level=0.0)]).writeto(path_f)
    np.testing.assert_array_equal(open_image(path_i).data, ints.astype(np.float32))
    plane = open_image(path_f)
    np.testing.assert_array_equal(plane.data, floats)
    assert plane.has_celestial


def test_data_in_extension(tmp_path):
    data = _ramp()
    path = tmp_path / "ext.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([fits.Column("a", "E", array=[1.0])]),
                  fits.ImageHDU(data, simple_header(data.shape))]).writeto(path)
    np.testing.assert_array_equal(open_image(path).data, data)


def test_casa_image_orientation_wcs_and_metadata(tmp_path):
    data = np.zeros((64, 48), np.float32)
    x, y = 30, 10  # RA column 30, Dec row 10
    data[y, x] = 5.0
    path = write_casa_image(tmp_path / "obs.image.pbcor", data)
    plane = open_image(path)
    assert plane.shape == (64, 48)
    assert _native_f32(plane.data)
    assert np.argwhere(plane.data == 5.0).tolist() == [[y, x]]
    ra, dec = plane.wcs.pixel_to_world_values(x, y)
    ra_c, dec_c = casa_world(path, x, y)
    assert ra == pytest.approx(ra_c, abs=1e-9) and dec == pytest.approx(dec_c, abs=1e-9)
    assert plane.header["BUNIT"] == "Jy/beam"
    assert plane.header["BMAJ"] == pytest.approx(15.0 / 3600)
    assert plane.header["TELESCOP"] == "DSA-110"


def test_casa_image_matches_same_data_as_fits(tmp_path):
    data = np.random.default_rng(0).normal(size=(40, 50)).astype(np.float32)
    casa = open_image(write_casa_image(tmp_path / "x.image", data))
    fits_path = tmp_path / "x.fits"
    write_dsa110_fits(fits_path, data, RA0, DEC0, CELL)
    np.testing.assert_array_equal(casa.data, open_image(fits_path).data)


def test_casa_mask_becomes_nan(tmp_path):
    data = np.ones((20, 30), np.float32)
    bad = np.zeros((20, 30), bool)
    bad[:5] = True
    plane = open_image(write_casa_image(tmp_path / "m.image", data, bad_mask=bad))
    assert np.isnan(plane.data[:5]).all() and (plane.data[5:] == 1).all()


@pytest.mark.parametrize("content, reason", [
    (b"", "Empty file"),
    (b"hello, this is text\n" * 200, "Corrupt FITS"),
])
def test_not_fits_files(tmp_path, content, reason):
    path = tmp_path / "bad.fits"
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match=reason):
        open_image(path)


def test_corrupt_header(tmp_path):
    path = tmp_path / "hdr.fits"
    fits.writeto(path, _ramp())
    raw = bytearray(path.read_bytes())
    raw[80 * 3:80 * 4] = b"NAXIS1  = 'eighty'".ljust(80)
    path.write_bytes(bytes(raw))
    with pytest.raises(ImageReadError, match="Corrupt FITS"):
        open_image(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "trunc.fits"
    fits.writeto(path, np.zeros((200, 200), np.float32))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ImageReadError, match="Truncated FITS"):
        open_image(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="File missing"):
        open_image(tmp_path / "nope.fits")


def test_directory_that_is_not_an_image(tmp_path):
    (tmp_path / "dir.image").mkdir()
    (tmp_path / "dir.image" / "readme.txt").write_text("hi")
    with pytest.raises(ImageReadError, match="Not a CASA image"):
        open_image(tmp_path / "dir.image")


def test_casa_table_that_is_not_an_image(tmp_path):
    import casacore.tables as ct

    table = ct.table(str(tmp_path / "plain.tab"), ct.maketabdesc([ct.makescacoldesc("A", 0)]),
                     nrow=3, ack=False)
    table.close()
    with pytest.raises(ImageReadError, match="Not a CASA image"):
        open_image(tmp_path / "plain.tab")


def test_fits_without_image_data(tmp_path):
    path = tmp_path / "table.fits"
    fits.HDUList([fits.PrimaryHDU(),
                  fits.BinTableHDU.from_columns([fits.Column("a", "E", array=[1.0, 2.0])])]).writeto(path)
    with pytest.raises(ImageReadError, match="Not an image"):
        open_image(path)


def test_image_read_error_is_user_facing():
    err = ImageReadError("File missing: x.fits")
    assert err.http_status == 422 and err.user_message == "File missing: x.fits"
