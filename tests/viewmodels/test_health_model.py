"""The /health page's view-model and view outside a browser: a snapshot of the monitor,
the caches and the process; the URL's check; clearing as a viewer (refused, audited) and
as an operator (done, audited)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dbsupport import settings_for
from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.db.dashboard_schema import dash_audit
from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.status.checks import OK, build_monitor
from dsa110_dashboard.viewmodels.health import HealthModel
from dsa110_dashboard.views.health import HealthView, checks_html, strip_html


_made: list[HealthModel] = []


@pytest.fixture(autouse=True)
def stop_schedulers():
    """A model's first read starts its monitor's scheduler: stop it with the test."""
    yield
    while _made:
        _made.pop().monitor.stop()


def _model(db_url, tmp_path, role: Role) -> HealthModel:
    settings = settings_for(db_url, DSA110_DASH_DATA_DIR=str(tmp_path),
                            DSA110_DASH_CACHE_DIR=str(tmp_path / "cache"))
    from dsa110_dashboard.db.engine import Database

    db = Database(settings)
    monitor = build_monitor(settings, db)
    monitor.run_once()
    model = HealthModel(monitor, settings, db, sessions=lambda: 3, role=role)
    _made.append(model)
    return model


def test_a_snapshot_has_every_check_its_history_the_caches_and_the_process(db_url, tmp_path):
    model = _model(db_url, tmp_path, Role.VIEWER)
    model.refresh()
    s = model.snapshot
    assert [r.name for r in s.results] == model.names
    assert {r.name: r.status for r in s.results}["database"] == OK
    assert all(len(s.history[name]) == 1 for name in model.names)
    assert [c.name for c in s.caches] == ["thumbnails", "queries"]
    assert s.process.sessions == 3 and s.process.pid > 0 and s.process.threads >= 1
    table = checks_html(s, model.monitor.history_s)
    assert 'data-check="database" data-status="ok"' in table
    assert strip_html(s.history["database"], s.read_at - 86400, s.read_at).count("<span") == 96


def test_the_url_check_must_name_a_check(db_url, tmp_path):
    model = _model(db_url, tmp_path, Role.VIEWER)
    model.check_url_value("check", "database")
    model.check_url_value("check", "")
    try:
        model.check_url_value("check", "nope")
    except InvalidInputError as exc:
        assert "no check named 'nope'" in exc.user_message
    else:
        raise AssertionError("an unknown check was accepted")


def _audit(db) -> list[tuple]:
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(dash_audit.c.actor, dash_audit.c.role, dash_audit.c.result)
            .where(dash_audit.c.action == "clear-cache").order_by(dash_audit.c.id))]


def test_a_viewer_is_refused_and_an_operator_clears(db_url, tmp_path):
    viewer = _model(db_url, tmp_path, Role.VIEWER)
    viewer.identify_user()
    assert "only operators" in viewer.clear_blocked
    viewer.clear("10.0.0.1")
    assert viewer.action_ok is False and "operator" in viewer.action_message
    operator = _model(db_url, tmp_path, Role.OPERATOR)
    operator.identify_user()
    assert operator.clear_blocked is None
    operator.clear("10.0.0.2", ("queries",))
    assert operator.action_ok is True and operator.action_message.startswith("Cleared")
    assert _audit(operator.db) == [("anonymous", "viewer", "refused"),
                                   ("anonymous", "operator", "ok")]


def test_the_view_renders_outside_a_server(db_url, tmp_path):
    model = _model(db_url, tmp_path, Role.OPERATOR)
    view = HealthView(model=model)
    view.__panel__()  # loads at once outside a server
    assert "checks" in view.header.object and "database" in view.checks.object
    assert "Sessions open" in view.process.object
    assert all(not b.disabled for b in view.clear_buttons.values())
