"""What every page and endpoint of one server process shares: settings and database."""

from __future__ import annotations

from dataclasses import dataclass

from .db.engine import Database
from .files import DataRoots
from .settings import Settings


@dataclass
class AppContext:
    settings: Settings
    db: Database
    roots: DataRoots

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        # The engine inside Database is made lazily, after the server forks.
        db = Database(settings)
        return cls(settings=settings, db=db, roots=DataRoots.for_server(settings, db.target))
