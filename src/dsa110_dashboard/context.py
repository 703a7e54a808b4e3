"""What every page and endpoint of one server process shares: settings and database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .db.engine import Database
from .files import DataRoots
from .metrics.figures import FigureReader
from .metrics.instruments import DashboardMetrics
from .settings import Settings

if TYPE_CHECKING:
    from .auth.oauth import OAuthSignIn
    from .auth.tokens import TokenStore
    from .auth.wall import WallAccess
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
    #: Who sees the wall display without sign-in (decision 0062); set by the root.
    wall: WallAccess | None = None
    #: Set when sign-in goes through an OAuth/OIDC provider (DSA110_DASH_OAUTH_PROVIDER).
    oauth: OAuthSignIn | None = None
    #: This server's Prometheus instruments (its own registry, decision 0064).
    metrics: DashboardMetrics = field(default_factory=DashboardMetrics)
    #: The process's health checks (issue 16); set by the composition root.
    health: HealthMonitor | None = None

    @property
    def signs_in(self) -> bool:
        """Whether pages and endpoints need a signed-in user (either kind of sign-in)."""
        return self.sign_in is not None or self.oauth is not None

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        # The engine inside Database is made lazily, after the server forks.
        db = Database(settings)
        ctx = cls(settings=settings, db=db, roots=DataRoots.for_server(settings, db.target))
        ctx.metrics.read_figures_from(FigureReader(db, settings.count_cache_seconds,
                                                   settings.metrics_cache_seconds))
        return ctx
