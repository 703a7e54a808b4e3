"""The services check the actor's role (decision 0047): whichever way a viewer asks (page,
API), the refusal is a 403 and is audited; operators pass as a Role or as its label."""

from __future__ import annotations

import pytest

from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.errors import ForbiddenError
from dsa110_dashboard.jobs.audit import Actor
from dsa110_dashboard.jobs.batch import BatchService
from dsa110_dashboard.jobs.batch_kinds import Selection
from dsa110_dashboard.repositories.audit import AuditRepository

from .conftest import seed_original
from .jobhelpers import template


@pytest.mark.parametrize("role", ["viewer", Role.VIEWER])
def test_a_viewer_is_refused_and_the_refusal_is_audited(db_url, make_service, script, role):
    db, settings, service = make_service(db_url, template(script, "ok"))
    original = seed_original(db)
    viewer = Actor("vera", "10.0.0.7", role)
    with pytest.raises(ForbiddenError, match="needs the operator role; vera is a viewer"):
        service.rerun(viewer, original)
    with pytest.raises(ForbiddenError):
        service.cancel(viewer, original)
    with pytest.raises(ForbiddenError):
        BatchService(db, settings).start(viewer, "qa", Selection(images=""))
    with pytest.raises(ForbiddenError):
        BatchService(db, settings).cancel(viewer, 1)
    rows = AuditRepository(db).entries()
    assert [(r.action, r.result, r.role, r.address) for r in reversed(rows)] == [
        ("rerun", "refused", "viewer", "10.0.0.7"), ("cancel", "refused", "viewer", "10.0.0.7"),
        ("batch_start", "refused", "viewer", "10.0.0.7"),
        ("batch_cancel", "refused", "viewer", "10.0.0.7")]


@pytest.mark.parametrize("role", ["operator", Role.OPERATOR, "admin", Role.ADMIN])
def test_operators_and_admins_may_act(db_url, make_service, script, role):
    db, settings, service = make_service(db_url, template(script, "ok"))
    original = seed_original(db)
    result = service.rerun(Actor("otto", "10.0.0.8", role), original)
    (row,) = AuditRepository(db).entries("job", original)
    assert row.result == "ok" and row.role == Role.parse(str(getattr(role, "label", role))).label
    assert service.cancel(Actor("otto", "10.0.0.8", role), result.job_id) == "cancelled"
