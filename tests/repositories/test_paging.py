"""The largest page a request may ask for is the setting DSA110_DASH_PAGE_SIZE_MAX."""

from __future__ import annotations

import pytest

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.settings import Settings


def test_a_page_at_the_configured_limit_is_accepted_and_one_more_names_limit():
    largest = Settings.load(environ={"DSA110_DASH_PAGE_SIZE_MAX": "40"}).page_size_max
    assert PageRequest.parse(limit="40", max_limit=largest).limit == 40
    with pytest.raises(InvalidInputError) as info:
        PageRequest.parse(limit="41", max_limit=largest)
    assert info.value.parameter == "limit" and "between 1 and 40" in str(info.value)


@pytest.mark.parametrize("limit", [0, -3])
def test_a_page_needs_at_least_one_row(limit):
    with pytest.raises(InvalidInputError) as info:
        PageRequest(limit=limit)
    assert info.value.parameter == "limit"
