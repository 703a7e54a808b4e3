"""The one URL-state mechanism (views/urlstate.py, decision 0043) outside a browser:
reading a query with the page's own checks, writing only what differs from the
defaults, in the /images codec's format, and keeping other keys."""

from __future__ import annotations

from dsa110_dashboard.queries.image_query import ImageQuery
from dsa110_dashboard.viewmodels.image_browser import (
    URL_KEYS,
    ImageBrowserModel,
    check_url_value,
    url_text,
)
from dsa110_dashboard.viewmodels.sources import SourceSearchModel
from dsa110_dashboard.views.urlstate import query_for, read_query, rewritten


def test_images_bad_values_are_named_by_type_and_by_the_codec(db):
    values, problems = read_query(
        ImageBrowserModel(db), URL_KEYS,
        "?page=x&dec_min=abc&type=5min,pbcor,5min&grade=poor,awful&sort=bogus"
        "&from=0001-01-01T00:00%2B14:00&size=0&q=pbcor&dec_max=",
        check_url_value)
    assert values == {"types": ["5min", "pbcor"], "search": "pbcor", "dec_max": ""}
    reasons = {p.key: p.message for p in problems}
    assert reasons["page"] == "Ignored page=x: not a whole number; the default is used."
    assert reasons["dec_min"] == "Ignored dec_min: 'abc' is not a number; the default is used."
    assert reasons["grade"].startswith("Ignored grade=poor,awful: unknown QA grade 'awful'")
    assert reasons["sort"].startswith("Ignored sort=bogus: not one of")
    assert reasons["from"].startswith("Ignored from: '0001-01-01T00:00+14:00' is outside the "
                                      "dates searched")
    assert reasons["size"].startswith("Ignored size=0: must be between 1 and")
    _values, [big] = read_query(ImageBrowserModel(db), URL_KEYS, "?size=100000")
    assert big.message.startswith("Ignored size=100000: must be between 1 and ")
    assert set(reasons) == {"page", "dec_min", "grade", "sort", "from", "size"}


def test_images_url_is_the_export_codec(db):
    """The page's address and the CSV export's arguments are the same text."""
    model = ImageBrowserModel(db)
    assert query_for(model, URL_KEYS, url_text) == {} == model.query_args()
    model.param.update(types=["5min", "pbcor"], grades=["good"], dr_min="100",
                       time_from="2025-10-14", sort="dynamic_range", order="asc",
                       view="grid", with_unknown=True)
    model.page = 2
    assert query_for(model, URL_KEYS, url_text) == model.query_args()
    assert model.query_args()["with_unknown"] == "1"
    other = ImageBrowserModel(db)
    values, problems = read_query(other, URL_KEYS,
                                  "?" + "&".join(f"{k}={v}" for k, v in
                                                 query_for(model, URL_KEYS,
                                                           url_text).items()),
                                  check_url_value)
    assert problems == []
    other.param.update(**{k: v for k, v in values.items() if k != "page"})
    other.page = values["page"]
    assert other.query == model.query == ImageQuery.from_args(model.query_args())


def test_sources_values_and_defaults(db):
    model = SourceSearchModel(db)
    keys = {"name_query": "q", "descending": "desc", "page": "page", "eta_min": "eta_min",
            "radius": "radius"}
    assert query_for(model, keys) == {}
    model.param.update(name_query="J09", descending=False, eta_min=2.0, page=3)
    assert query_for(model, keys) == {"q": "J09", "desc": "false", "eta_min": "2.0",
                                      "page": "3"}
    model.param.update(eta_min=None, radius="")  # cleared: out of the link...
    assert query_for(model, keys) == {"q": "J09", "desc": "false", "page": "3",
                                      "radius": ""}  # ...unless its default is not empty


def test_a_rewrite_keeps_other_keys_and_drops_ignored_values():
    mine = {"q", "page", "eta_min"}
    assert rewritten("?theme=dark&q=old&eta_thr=3&eta_min=abc", mine, {"page": "2"},
                     {"eta_min": "abc"}) == "?theme=dark&eta_thr=3&page=2"
    assert rewritten("?k=50", set(), {}, {"k": "50"}) == ""
    assert rewritten("?k=5", set(), {}, {"k": "50"}) == "?k=5"
