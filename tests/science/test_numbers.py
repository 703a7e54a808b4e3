"""One number formatter and one number parser: NaN and infinity shown as "—" everywhere,
one wording for text that is not a number."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.science.numbers import (
    MISSING,
    finite_or_none,
    format_number,
    number_problem,
    parse_number,
)


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf, np.float64("nan"),
                                   "abc", True])
def test_anything_not_a_finite_number_is_shown_as_missing(value):
    assert format_number(value) == MISSING == "—"
    assert finite_or_none(value) is None


def test_a_number_in_its_format_scale_and_unit():
    assert format_number(0.0012345, ".3f", scale=1e3, unit="mJy") == "1.234 mJy"
    assert format_number(np.float32(2.5), ".1f") == "2.5"
    assert format_number("12.5", ".0f") == "12"  # a number stored as text is a number
    assert format_number(12345.0, ",.0f") == "12,345"
    assert format_number(None, missing="unknown") == "unknown"


@pytest.mark.parametrize("raw, message", [
    ("abc", "dec_min: 'abc' is not a number"),
    ("nan", "dec_min: 'nan' is not a finite number"),
    ("-inf", "dec_min: '-inf' is not a finite number"),
    (math.inf, "dec_min: 'inf' is not a finite number"),
    ("x" * 50, "dec_min: '" + "x" * 40 + "…' (50 characters) is not a number"),
])
def test_one_wording_for_what_is_not_a_number(raw, message):
    with pytest.raises(InvalidInputError) as info:
        parse_number(raw, "dec_min")
    assert str(info.value) == message and info.value.parameter == "dec_min"


def test_blank_is_no_value_unless_one_is_required():
    assert parse_number("  ", "noise_min") is None
    assert parse_number(None, "noise_min") is None
    with pytest.raises(InvalidInputError, match="ra: a number is required"):
        parse_number("", "ra", required=True)
    assert parse_number(" 1e-3 ", "noise_min") == 0.001
    assert parse_number(5, "size") == 5.0
    assert number_problem("12") is None and number_problem(True) == "not a number"
