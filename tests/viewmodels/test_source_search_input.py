"""Bad or stale input on the sources search: URL values that cannot be used, a page past
the end, a failed cone after a good one, names that match nothing, and the wording of
the messages (one human label, no internals). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from dsa110_dashboard.viewmodels.eta_v import EtaVModel
from dsa110_dashboard.viewmodels.sources import (
    EseCandidatesModel,
    SourceSearchModel,
    cone_text,
)
from dsa110_dashboard.views.urlstate import read_query, without_ignored
from factories import insert_many

SEARCH_KEYS = {"name_query": "q", "position": "pos", "radius": "radius", "sort": "sort",
               "descending": "desc", "page": "page", "eta_min": "eta_min",
               "eta_max": "eta_max"}
ETA_V_KEYS = {"eta_threshold": "eta_thr", "v_threshold": "v_thr", "k": "k"}

#: 23 sources near RA 116.858, Dec 54.9, eta 1.0 .. 3.2.
N_SOURCES = 23


@pytest.fixture
def seeded(db):
    rows = [dict(source_id=f"NVSS J0747{i:02d}.0+545400", ra_deg=116.858 + i * 0.001,
                 dec_deg=54.9, eta_metric=1.0 + i * 0.1, mean_flux_mjy=10.0 + i,
                 std_flux_mjy=1.0, n_obs=10, chi2_nu=1.0, sigma_deviation=1.0,
                 nvss_flux_mjy=10.0)
            for i in range(N_SOURCES)]
    with db.transaction() as conn:
        insert_many(conn, "variability_stats", rows)
    return db


# ------------------------------------------------------------------ URL values
@pytest.mark.parametrize("query, key, reason", [
    ("eta_min=abc", "eta_min", "not a number"),
    ("eta_min=nan", "eta_min", "not a finite number"),
    ("sort=bogus", "sort", "not one of relevance, eta"),
    ("desc=maybe", "desc", "not true or false"),
    ("page=abc", "page", "not a whole number"),
    ("page=0", "page", "must be at least 1"),
])
def test_bad_search_values_are_named_with_the_reason(db, query, key, reason):
    model = SourceSearchModel(db)
    values, problems = read_query(model, SEARCH_KEYS, "?q=0925&" + query)
    assert values == {"name_query": "0925"}, "the good value is kept, the bad one left out"
    [problem] = problems
    raw = query.split("=", 1)[1]
    assert (problem.key, problem.value) == (key, raw)
    assert problem.message.startswith(f"Ignored {key}={raw}: {reason}")


@pytest.mark.parametrize("query, key, reason", [
    ("eta_thr=abc", "eta_thr", "not a number"),
    ("eta_thr=-5", "eta_thr", "must be greater than 0"),
    ("k=50", "k", "must be between 0 and 10"),
])
def test_bad_eta_v_values_are_named_with_the_reason(db, query, key, reason):
    _values, [problem] = read_query(EtaVModel(db), ETA_V_KEYS, "?" + query)
    assert problem.key == key and reason in problem.message


def test_bad_ese_status_is_named(db):
    values, [problem] = read_query(EseCandidatesModel(db), {"status": "ese"}, "?ese=bogus")
    assert values == {} and problem.message.startswith(
        "Ignored ese=bogus: not one of all, active, investigated, dismissed")


def test_good_values_and_empty_bounds_are_not_problems(db):
    values, problems = read_query(
        SourceSearchModel(db), SEARCH_KEYS,
        "?desc=false&page=3&eta_min=&eta_max=2.5&sort=eta&pos=116.858+54.9")
    assert problems == []
    assert values == {"descending": False, "page": 3, "eta_min": None, "eta_max": 2.5,
                      "sort": "eta", "position": "116.858 54.9"}


def test_a_long_bad_value_is_not_repeated_whole(db):
    _values, [problem] = read_query(SourceSearchModel(db), SEARCH_KEYS,
                                    "?eta_min=" + "A" * 5000)
    assert len(problem.message) < 200 and "5,000 characters" in problem.message


def test_ignored_values_leave_the_address_and_good_ones_stay():
    ignored = {"eta_min": "abc", "k": "50"}
    assert without_ignored("?q=j08&eta_min=abc&k=50&page=2", ignored) == "?q=j08&page=2"
    assert without_ignored("?eta_min=abc", ignored) == ""
    # Set since to a good value by the user: stays.
    assert without_ignored("?eta_min=2&k=3", ignored) is None


def test_url_notes_are_forgotten_when_the_user_changes_the_search(db):
    model = SourceSearchModel(db, input_notes=["Ignored eta_min=abc: not a number"])
    model.name_query = "J07"
    assert model.input_notes == []
    ese = EseCandidatesModel(db, input_notes=["Ignored ese=bogus: …"])
    ese.status = "all"
    assert ese.input_notes == []


# ----------------------------------------------------------- page past the end
def test_a_page_past_the_end_becomes_the_last_page(seeded):
    model = SourceSearchModel(seeded, page=999, page_size=5)
    model.refresh()
    assert model.total == N_SOURCES and model.pages == 5
    assert model.page == 5, "clamped to the last page (the URL follows the parameter)"
    assert len(model.rows) == N_SOURCES - 4 * 5, "the last page's rows, not an empty page"
    assert model.input_notes == ["Page 999 is past the end of the results: showing page "
                                 "5, the last."]
    # The data shrank under a shared link: the filter leaves 3 sources, one page.
    model.param.update(eta_min=3.0, page=4)
    model.refresh()
    assert (model.total, model.page, len(model.rows)) == (3, 1, 3)


def test_a_page_of_nothing_is_page_one_without_a_note(seeded):
    model = SourceSearchModel(seeded, name_query="J2359", page=3)
    model.refresh()
    assert (model.total, model.page, model.input_notes) == (0, 1, [])


# ------------------------------------------------------------- the messages
def test_a_failed_cone_leaves_nothing_of_the_last_one(seeded):
    model = SourceSearchModel(seeded, position="116.858 54.9", radius="30 arcmin")
    model.refresh()
    assert model.cone is not None and model.total == N_SOURCES
    assert cone_text(model.cone) == "within 30 arcmin of RA 116.85800°, Dec +54.90000°"
    model.position = "garbage text"
    model.refresh()
    assert model.cone is None and model.total == 0 and model.rows.empty
    assert model.error_field == "position"
    assert model.error.startswith("Cone centre: cannot read 'garbage text'")
    assert model.error.count("Cone centre") == 1 and "position" not in model.error
    assert "could not convert" not in model.error


def test_radius_and_bound_messages_use_the_label_once(seeded):
    model = SourceSearchModel(seeded, position="116.858 54.9", radius="5 parsec")
    model.refresh()
    assert model.error_field == "radius"
    assert model.error.startswith("Cone radius: cannot read '5 parsec'")
    assert model.error.count("radius") == 1
    model.param.update(position="", eta_min=5.0, eta_max=1.0)
    model.refresh()
    assert model.error_field == "eta_min"
    assert model.error == "η filter: the minimum 5 is above the maximum 1"


@pytest.mark.parametrize("name, shown", [("☃💥", "'☃💥'"), ("%", "'%'"),
                                         ("A" * 5000, "(5,000 characters)")])
def test_a_name_matching_nothing_says_so(seeded, name, shown):
    model = SourceSearchModel(seeded, name_query=name)
    model.refresh()
    assert model.error is None and model.total == 0
    message = model.no_match_message()
    assert message.startswith("No source matches name starting with ")
    assert shown in message and len(message) < 200


def test_no_match_names_every_part_of_the_search(seeded):
    model = SourceSearchModel(seeded, position="116.858 54.9", radius="30 arcsec",
                              eta_min=9.0)
    model.refresh()
    assert model.total == 0
    assert model.no_match_message() == (
        "No source matches within 30 arcsec of RA 116.85800°, Dec +54.90000°, η ≥ 9.")
