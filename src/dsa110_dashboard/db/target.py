"""Which database to open: resolved once from the settings.

Order: ``--db`` / ``DSA110_DASH_DB``, then ``PIPELINE_DB`` (unified layout), then
``PIPELINE_PRODUCTS_DB`` with ``PIPELINE_CAL_REGISTRY_DB`` (older layout), then the
embedded default in the data directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ..errors import ConfigError
from ..settings import Settings, mask_secret

CAL_REGISTRY_FILENAME = "cal_registry.sqlite3"


@dataclass(frozen=True)
class DatabaseTarget:
    """A resolved database: a SQLite file (with an optional attached cal registry) or a URL."""

    url: URL
    origin: str
    read_only: bool
    sqlite_path: Path | None = None
    cal_registry_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    def display(self) -> str:
        if self.sqlite_path is not None:
            text = str(self.sqlite_path)
            if self.cal_registry_path is not None:
                text += f" + {self.cal_registry_path}"
            return text
        return mask_secret(self.url.render_as_string(hide_password=False))


def _sqlite_target(path: Path, origin: str, read_only: bool,
                   cal_registry: Path | None = None) -> DatabaseTarget:
    path = path.expanduser().resolve()
    if cal_registry is None and path.name != CAL_REGISTRY_FILENAME:
        sibling = path.with_name(CAL_REGISTRY_FILENAME)
        # The older layout keeps caltables in a sibling file; pick it up when present.
        if path.name.startswith("products") and sibling.is_file():
            cal_registry = sibling
    return DatabaseTarget(
        url=URL.create("sqlite", database=str(path)),
        origin=origin,
        read_only=read_only,
        sqlite_path=path,
        cal_registry_path=cal_registry.resolve() if cal_registry else None,
    )


def parse_database(value: str, origin: str, read_only: bool) -> DatabaseTarget:
    """A file path or a SQLAlchemy URL, as the user wrote it."""
    if "://" not in value:
        return _sqlite_target(Path(value), origin, read_only)
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError(f"DSA110_DASH_DB: {mask_secret(value)!r} is not a database URL") \
            from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError("DSA110_DASH_DB: an in-memory SQLite database cannot be served")
        return _sqlite_target(Path(url.database), origin, read_only)
    if backend == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return DatabaseTarget(url=url, origin=origin, read_only=read_only)
    raise ConfigError(
        f"DSA110_DASH_DB: unsupported database {backend!r} (use a SQLite file or PostgreSQL)")


def resolve_target(settings: Settings) -> DatabaseTarget:
    def ro(default: bool) -> bool:
        return default if settings.read_only is None else settings.read_only

    if settings.db:
        origin = settings.sources.get("db", "DSA110_DASH_DB")
        return parse_database(settings.db, origin, ro(False))
    if settings.pipeline_db:
        return _sqlite_target(settings.pipeline_db, "env PIPELINE_DB", ro(True))
    if settings.pipeline_products_db:
        return _sqlite_target(settings.pipeline_products_db, "env PIPELINE_PRODUCTS_DB",
                              ro(True), settings.pipeline_cal_registry_db)
    if settings.pipeline_cal_registry_db:
        raise ConfigError(
            "PIPELINE_CAL_REGISTRY_DB: set PIPELINE_PRODUCTS_DB too (the older layout "
            "needs both files)")
    return _sqlite_target(settings.embedded_db_path, "embedded default", ro(False))
