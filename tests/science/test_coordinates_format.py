"""Positions written back for display: sexagesimal, with rounding that carries."""

from dsa110_dashboard.science.coordinates import format_dec, format_ra


def test_ra_and_dec():
    assert format_ra(150.0) == "10h00m00.00s"
    assert format_ra(116.85833) == "07h47m26.00s"
    assert format_dec(54.90022) == "+54°54′00.8″"
    assert format_dec(-1.5) == "-01°30′00.0″"


def test_rounding_carries_through_minutes_and_hours():
    assert format_ra(359.9999999) == "00h00m00.00s"  # not 24h00m00s, not 23h59m60s
    assert format_ra(14.99999999) == "01h00m00.00s"
    assert format_dec(-0.99999999) == "-01°00′00.0″"
    assert format_dec(89.999999999) == "+90°00′00.0″"
