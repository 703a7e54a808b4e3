"""Typed positions: each of RA and Dec is read in its own notation, so a decimal RA stays
in degrees whatever notation the Dec is typed in."""

import pytest

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.science.coordinates import parse_position

RA, DEC = 116.858, 54.9


@pytest.mark.parametrize("text", ["116.858 +54:54:00", "116.858 54.9d", "116.858 54.9°",
                                  "116.858 +54d54m00s", "116.858d 54.9", "116.858, 54.9",
                                  "07h47m25.92s +54:54:00", "07:47:25.92 54.9",
                                  "07 47 25.92 +54 54 00", "116d51m28.8s +54d54m"])
def test_ra_keeps_its_own_notation(text):
    ra, dec = parse_position(text)
    assert ra == pytest.approx(RA, abs=1e-4) and dec == pytest.approx(DEC, abs=1e-4)


def test_joined_sexagesimal_is_still_read():
    ra, dec = parse_position("07h47m25.92s+54d54m00s")
    assert ra == pytest.approx(RA, abs=1e-4) and dec == pytest.approx(DEC, abs=1e-4)


@pytest.mark.parametrize("text, ra", [("359.99999 10", 359.99999), ("-0.5 10", 359.5),
                                      ("360 10", 0.0), ("23:59:59.99 +10:00:00", 359.99996)])
def test_ra_wraps_into_0_360(text, ra):
    assert parse_position(text)[0] == pytest.approx(ra, abs=1e-5)


@pytest.mark.parametrize("text", ["24:00:01 +10:00:00", "25h00m00s 10", "10 +95:00:00",
                                  "10 -90.5", "abc 10", "10 20 30"])
def test_impossible_positions_are_refused_without_internals(text):
    with pytest.raises(InvalidInputError) as err:
        parse_position(text)
    assert err.value.parameter == "position"
    assert "could not convert" not in str(err.value) and "Error" not in str(err.value)
