"""Which page a URL opens under ``panel serve app.py --plugins app`` (decision 0050)."""

from __future__ import annotations

import re

from dsa110_dashboard.views.panel_script import page_for, page_patterns, path_regex

PATHS = ["/", "/images", "/images/{image_id}", "/sources", "/sources/{source_id}"]


def test_each_url_opens_its_page():
    assert page_for(PATHS, "/") == "/"
    assert page_for(PATHS, "/images") == "/images"
    assert page_for(PATHS, "/images/") == "/images"
    assert page_for(PATHS, "/images/12") == "/images/{image_id}"
    assert page_for(PATHS, "/sources/NVSS%20J123456.7%2B420312") == "/sources/{source_id}"


def test_other_urls_open_no_page():
    # /app (the script's own URL) and anything unknown: the caller shows the Overview.
    for path in ("/app", "/images/12/extra", "/imagesx", "", None):
        assert page_for(PATHS, path) is None, path


def test_placeholders_become_named_groups_of_one_segment():
    match = re.fullmatch(path_regex("/sources/{source_id}"), "/sources/NVSS J1+42")
    assert match and match.groupdict() == {"source_id": "NVSS J1+42"}
    assert re.fullmatch(path_regex("/sources/{source_id}"), "/sources/a/b") is None


def test_every_page_gets_its_websocket_beside_it():
    patterns = [pattern for pattern, *_ in page_patterns(PATHS, "/app")]
    assert "/ws" in patterns and "/images/ws" in patterns
    assert "/images/(?P<image_id>[^/]+)/ws" in patterns
