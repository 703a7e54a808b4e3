"""``connect``: open a pipeline database for a notebook, and the handle it returns."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ..context import AppContext
from ..settings import Settings
from .images import Images
from .operations import QA, Calibration, Jobs, MeasurementSets
from .sources import Sources

_current: dict[str, Connection] = {}
_lock = threading.Lock()


class Connection:
    """One database, its data roots and its settings, with the data access a notebook
    uses (``images``, ``sources``, ``jobs``, ``ms``, ``cal``, ``qa``) and the pages'
    views built on it (``ImageBrowser()``, ``ImageView(id)``, ``SourceView(name)``,
    ``EtaVPlot()``, ``QAView()``, ``JobsView()``; Panel is imported for the first one)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.context = AppContext.from_settings(settings)
        self.db = self.context.db
        self.images = Images(self.context)
        self.sources = Sources(self.context)
        self.jobs = Jobs(self.context)
        self.ms = MeasurementSets(self.context)
        self.cal = Calibration(self.context)
        self.qa = QA(self.context)

    def __repr__(self) -> str:
        return f"<dsa110_dashboard connection to {self.db.describe()}>"

    def close(self) -> None:
        """Release the database connections (the handle opens them again if used)."""
        self.db.dispose()

    # The views: the same Viewer components the pages use, on this connection.
    def ImageBrowser(self, **filters):  # noqa: N802 - named like the class it returns
        from . import views
        return views.image_browser(self, **filters)

    def ImageView(self, image_id, **look):  # noqa: N802
        from . import views
        return views.image_view(self, image_id, **look)

    def SourceView(self, source_id, **look):  # noqa: N802
        from . import views
        return views.source_view(self, source_id, **look)

    def EtaVPlot(self, **thresholds):  # noqa: N802
        from . import views
        return views.eta_v_plot(self, **thresholds)

    def QAView(self, **query):  # noqa: N802
        from . import views
        return views.qa_view(self, **query)

    def JobsView(self, **filters):  # noqa: N802
        from . import views
        return views.jobs_view(self, **filters)


def connect(database: str | os.PathLike | None = None, *, read_only: bool = True,
            data_roots=None, environ=None) -> Connection:
    """Open ``database`` and make it the one ``dd.ImageBrowser()`` and the other views
    use until the next ``connect``.

    ``database``: a SQLite file (the pipeline's ``pipeline.sqlite3``, a demo's), a
    SQLAlchemy URL (``postgresql+psycopg://user@host/db``), or None for what the
    settings name (``DSA110_DASH_DB``, ``PIPELINE_DB``, the older two-file layout... as
    the server reads them). Opened read-only unless ``read_only=False``. Image files
    are read only from under ``data_roots`` (directories; default
    ``DSA110_DASH_DATA_ROOTS``, else the database's folder and the data and state
    directories). The database is reached once here, so that a wrong path or an
    unreachable server is said at once (``DatabaseUnavailableError``).
    """
    overrides: dict = {"read_only": bool(read_only)}
    if database is not None:
        text = os.fspath(database)
        if "://" not in text:
            path = Path(text).expanduser()
            if not path.is_file():
                raise FileNotFoundError(f"no database file {path}")
            text = str(path.resolve())
        overrides["db"] = text
    if data_roots is not None:
        roots = [data_roots] if isinstance(data_roots, (str, os.PathLike)) else data_roots
        overrides["data_roots"] = tuple(Path(r).expanduser().resolve() for r in roots)
    connection = Connection(Settings.load(environ=environ, overrides=overrides))
    connection.db.ping()
    with _lock:
        _current["connection"] = connection
    return connection


def current() -> Connection:
    """The connection of the last ``connect``; without one, a connection to the database
    the settings name (the environment, as the server reads it)."""
    with _lock:
        found = _current.get("connection")
    return found if found is not None else connect()
