"""Features that need one of the dashboard's own migrations.

A pipeline database that was never upgraded is still served; a feature that needs an
addition asks ``require`` first and the page shows the returned message instead of failing.
"""

from __future__ import annotations

from ..errors import FeatureUnavailableError
from . import migrate
from .engine import Database


def has_revision(db: Database, revision: str) -> bool:
    """Whether the database has been upgraded to ``revision`` or beyond."""
    current = migrate.current_revision(db)
    if current is None:
        return False
    order = migrate.all_revisions()
    return current in order and order.index(current) >= order.index(revision)


def require(db: Database, revision: str, feature: str) -> None:
    """Raise FeatureUnavailableError, naming the fix, unless ``revision`` is applied."""
    if not has_revision(db, revision):
        raise FeatureUnavailableError(
            f"{feature} needs the dashboard's additions to this database (revision "
            f"{revision}); an operator can add them with `dsa110-dash db upgrade`. "
            "Everything else works without them.")
