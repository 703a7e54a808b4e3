"""What every page and endpoint of one server process shares: settings and database."""

from __future__ import annotations

from dataclasses import dataclass

from .db.engine import Database
from .settings import Settings


@dataclass
class AppContext:
    settings: Settings
    db: Database

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        # The engine inside Database is made lazily, after the server forks.
        return cls(settings=settings, db=Database(settings))
