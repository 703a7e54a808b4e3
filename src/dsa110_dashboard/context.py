"""What every page and endpoint of one server process shares: settings and database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .db.engine import Database
from .files import DataRoots
from .settings import Settings

if TYPE_CHECKING:
    from .auth.tokens import TokenStore
    from .auth.web import SignIn
    from .status.checks import HealthMonitor


@dataclass
class AppContext:
    settings: Settings
    db: Database
    roots: DataRoots
    #: Set by the composition root when sign-in is on (DSA110_DASH_BASIC_AUTH).
    sign_in: SignIn | None = None
    #: The API tokens (in the sign-in store); None when the store cannot be opened.
    tokens: TokenStore | None = None
    #: The process's health checks (issue 16); set by the composition root.
    health: HealthMonitor | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        # The engine inside Database is made lazily, after the server forks.
        db = Database(settings)
        return cls(settings=settings, db=db, roots=DataRoots.for_server(settings, db.target))
