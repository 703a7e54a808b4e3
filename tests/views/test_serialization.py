"""views/serialization.py (decision 0091): the faster query of a model's values serializes
a real page's document exactly as Bokeh's own does, light and dark, and still refuses a
model with a required property unset."""

from __future__ import annotations

import json
from pathlib import Path

import panel as pn
import pandas as pd
import pytest
from bokeh.core.property.descriptors import UnsetValueError
from bokeh.document import Document
from bokeh.core.property.singletons import Intrinsic
from bokeh.models import BoxSelectTool, GlyphRenderer, Plot, TableColumn
from restore_settings import restored
from factories import MJD0, UNIX0, defaults, insert

from dsa110_dashboard.viewmodels.qa import QAModel
from dsa110_dashboard.views import serialization
from dsa110_dashboard.views.qa import QAPageView


@pytest.fixture(autouse=True)
def restore_the_installed_function():
    was = serialization.installed()
    yield
    if was:
        serialization.install()
    else:
        serialization.uninstall()


def test_the_known_bokeh_function_is_replaced():
    """Fails after a Bokeh upgrade that changed ``query_properties_with_values``: check
    serialization.py against the new function, then update KNOWN_SOURCE_SHA256."""
    assert serialization.install(), (
        "Bokeh's HasProps.query_properties_with_values changed (sha256 "
        f"{serialization.source_hash(serialization._original)})")
    assert serialization.installed()


def _page(db) -> pn.viewable.Viewable:
    with db.transaction() as conn:
        for n in range(6):
            insert(conn, "ms_index", **defaults("ms_index", n))
            insert(conn, "images", **{**defaults("images", n),
                                      "dynamic_range": [2000, 500, 50, 5, None, 500][n],
                                      "noise_jy": None if n == 4 else 3e-4 * (1 + n)})
    model = QAModel(db, now=lambda: UNIX0 + 86400)
    model.param.update(start=f"{MJD0 - 0.1}", end=f"{MJD0 + 1}")
    view = QAPageView(model=model)
    table = pn.widgets.Tabulator(pd.DataFrame({"a": [1, 2], "b": ["x", None]}))
    return pn.Column(view, pn.Tabs(("table", table), ("select", pn.widgets.Select(
        options=["a", "b"]))), pn.pane.Alert("note"))


def _serialized(doc: Document) -> str:
    return json.dumps(doc.to_json(deferred=False), sort_keys=True)


@pytest.mark.parametrize("theme", ["default", "dark"])
def test_a_page_serializes_exactly_as_with_bokehs_own(db, theme):
    """Ours first, on a document nothing has serialized yet, then Bokeh's, then ours."""
    doc = Document()
    if theme == "dark":  # themed values take another path through the query
        doc.theme = pn.theme.DarkTheme.param.bokeh_theme.default
    doc.add_root(_page(db).get_root(doc))
    assert serialization.install()
    ours = _serialized(doc)
    serialization.uninstall()
    bokehs = _serialized(doc)
    assert serialization.install()
    kinds = {type(m).__name__ for m in doc.models}
    assert {"figure", "DataTabulator", "TextInput", "Tabs"} <= kinds, kinds
    assert ours == bokehs == _serialized(doc)


def _unmade_defaults() -> list:
    """Models whose per-model defaults were never made: a property given as Intrinsic
    (as Bokeh's own DataTable.from_data does) and one deleted."""
    plot = Plot()
    del plot.x_range
    return [TableColumn(field="a", formatter=Intrinsic), plot]


def test_defaults_made_during_a_call_count_in_the_next_as_with_bokehs():
    def calls(model) -> list[list[str]]:
        return [sorted(model.properties_with_values(include_defaults=False))
                for _ in range(2)]

    serialization.uninstall()
    bokehs = [calls(m) for m in _unmade_defaults()]
    assert serialization.install()
    ours = [calls(m) for m in _unmade_defaults()]
    assert ours == bokehs
    assert "formatter" in bokehs[0][1] and "formatter" not in bokehs[0][0]


def test_a_query_that_takes_aliases_fails_as_bokehs_does():
    everything = lambda _descriptor: True  # noqa: E731 - a query
    serialization.uninstall()
    with pytest.raises(AttributeError) as bokehs:
        BoxSelectTool().query_properties_with_values(everything, include_defaults=False)
    assert serialization.install()
    with pytest.raises(AttributeError) as ours:
        BoxSelectTool().query_properties_with_values(everything, include_defaults=False)
    assert str(ours.value) == str(bokehs.value)


def test_a_required_property_left_unset_still_refuses():
    assert serialization.install()
    with pytest.raises(UnsetValueError, match="data_source"):
        GlyphRenderer().properties_with_values(include_defaults=False)


def test_defaults_are_still_given_when_asked_for():
    assert serialization.install()
    values = GlyphRenderer().properties_with_values(include_defaults=True,
                                                    include_undefined=True)
    assert values["visible"] is True and "data_source" in values


def test_the_composition_root_installs_it_and_skips_bokehs_document_checks(monkeypatch):
    """app.configure_panel: the faster query in place; Bokeh's per-document checks off
    unless BOKEH_VALIDATE_DOC asks for them (then Bokeh reads the variable itself)."""
    from bokeh.settings import settings as bokeh_settings

    from dsa110_dashboard.cli.serve_cmd import load_app
    from dsa110_dashboard.settings import Settings

    app = load_app(Path(__file__).resolve().parents[2] / "app.py")
    settings = Settings.load(environ={})
    threads = pn.config.nthreads
    try:
        # restored: other tests' servers set the checks too
        with restored(bokeh_settings.perform_document_validation) as checks:
            serialization.uninstall()
            monkeypatch.delenv("BOKEH_VALIDATE_DOC", raising=False)
            checks.unset_value()
            app.configure_panel(settings)
            assert serialization.installed()
            assert checks() is False
            checks.unset_value()
            monkeypatch.setenv("BOKEH_VALIDATE_DOC", "true")
            app.configure_panel(settings)
            assert checks() is True
    finally:
        pn.config.nthreads = None  # the pool configure_panel started, shut down
        pn.config.nthreads = threads
