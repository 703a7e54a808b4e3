"""The query-string codec shared by /images and GET /api/v1/images.csv."""

from __future__ import annotations

import pytest

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.queries.image_query import ImageQuery, parse, parse_time
from dsa110_dashboard.science.times import unix_to_mjd


def test_round_trip_of_every_field():
    query = ImageQuery(time_from="2025-10-14", time_to="60963.5", types=("5min", "pbcor"),
                       field="drift_dec+54.57", dec_min="50", dec_max="60", noise_min="0.1",
                       noise_max="1", dr_min="100", dr_max="5000",
                       grades=("poor", "unknown"), search="T14", sort="noise_jy",
                       order="asc", page=3, size=100, view="grid")
    args = query.to_args()
    assert args["type"] == "5min,pbcor" and args["grade"] == "poor,unknown"
    assert ImageQuery.from_args(args) == query
    # Tornado's form: {key: [bytes]}
    assert ImageQuery.from_args({k: [v.encode()] for k, v in args.items()}) == query


def test_defaults_are_left_out_of_the_url():
    assert ImageQuery().to_args() == {}
    assert ImageQuery(page=2).to_args() == {"page": "2"}
    assert "page" not in ImageQuery(page=2).to_args(paging=False)


def test_filter_translation_and_units():
    flt = ImageQuery(noise_min="0.2", noise_max="1.5", dec_min="-10", grades=("good",),
                     types=("5min",), search="abc").image_filter()
    assert flt.noise_min == pytest.approx(0.2e-3) and flt.noise_max == pytest.approx(1.5e-3)
    assert flt.dec_min == -10.0 and flt.qa_grade == ("good",) and flt.types == ("5min",)
    assert flt.path_contains == "abc"
    assert ImageQuery().image_filter().types is None


def test_time_accepts_mjd_and_dates():
    assert parse_time("60962.25", "from") == 60962.25
    assert parse_time("2025-10-14", "from") == pytest.approx(60962.0)
    assert parse_time("2025-10-14", "to", end_of_day=True) == pytest.approx(60963.0)
    assert parse_time("2025-10-14T06:00", "to", end_of_day=True) == pytest.approx(60962.25)
    assert parse_time("2025-10-14 06:00:00Z", "from") == pytest.approx(60962.25)
    assert parse_time("", "from") is None
    assert unix_to_mjd(0) == 40587.0


@pytest.mark.parametrize("args, parameter", [
    ({"from": "yesterday"}, "from"),
    ({"to": "1e9"}, "to"),
    ({"from": "0001-01-01T00:00+14:00"}, "from"),  # OverflowError converting to UTC
    ({"to": "9999-12-31T23:59-14:00"}, "to"),
    ({"from": "1858-11-16T23:59"}, "from"),
    ({"to": "2132-09-01T00:01"}, "to"),
    ({"from": "60964", "to": "60963"}, "from"),
    ({"dec_min": "abc"}, "dec_min"),
    ({"dec_max": "95"}, "dec_max"),
    ({"noise_min": "2", "noise_max": "1"}, "noise_min"),
    ({"dr_max": "nan"}, "dr_max"),
    ({"grade": "superb"}, "grade"),
    ({"sort": "secret_column"}, "sort"),
    ({"order": "up"}, "order"),
    ({"page": "0"}, "page"),
    ({"size": "100000"}, "size"),
    ({"view": "cards"}, "view"),
])
def test_bad_values_name_their_parameter(args, parameter):
    with pytest.raises(InvalidInputError) as info:
        parse(args, max_size=500)
    assert info.value.parameter == parameter


def test_dates_at_the_edges_of_the_range():
    assert parse_time("1858-11-17", "from") == 0.0
    assert parse_time("2132-08-31", "to", end_of_day=True) == 100_000.0
    with pytest.raises(InvalidInputError) as info:
        parse_time("9999-12-31T23:59-14:00", "to")
    assert "outside the dates searched (1858-11-17 to 2132-08-31 UTC)" in str(info.value)


def test_unknown_keys_only_fail_when_strict():
    parse({"theme": "dark"}, max_size=500)
    with pytest.raises(InvalidInputError) as info:
        parse({"colour": "red"}, max_size=500, strict_keys=True)
    assert info.value.parameter == "colour"


def test_lenient_reading_keeps_the_text_for_the_page_to_show():
    query = ImageQuery.from_args({"dec_min": "abc", "page": "-3", "view": "cards"})
    assert query.dec_min == "abc" and query.page == 1 and query.view == "table"


def test_with_unknown_round_trip_and_strict_values():
    query = ImageQuery(dec_min="50", with_unknown=True)
    assert query.to_args() == {"dec_min": "50", "with_unknown": "1"}
    assert ImageQuery.from_args(query.to_args()) == query
    assert query.image_filter().with_unknown is True
    assert parse({"with_unknown": "0"}).with_unknown is False
    with pytest.raises(InvalidInputError) as caught:
        parse({"with_unknown": "maybe"})
    assert caught.value.parameter == "with_unknown"
