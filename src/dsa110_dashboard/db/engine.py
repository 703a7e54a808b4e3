"""One SQLAlchemy engine per process, made lazily, for SQLite or PostgreSQL.

The Panel server forks its worker processes after importing our modules, and a pooled
connection must never cross a fork: the engine is created on first use and re-created
when the process id changes.

The server never creates a SQLite file: a missing file is ``DatabaseUnavailableError``.
Only ``create_missing_file`` (``db upgrade``, the demo, ``scale-db``) makes one. A pooled
SQLite connection keeps reading a file that was deleted or replaced under it, so every
checkout compares the file's identity with the one it was opened on.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ..errors import DatabaseUnavailableError
from ..settings import Settings, TimeoutConfig
from .catalog import SQLITE_ATTACHED_SCHEMA, Catalog
from .errors import translate
from .target import DatabaseTarget, resolve_target

log = logging.getLogger(__name__)

DRIVER_ERRORS = (sa.exc.DBAPIError, sqlite3.Error)


def _translated(exc: BaseException) -> BaseException:
    return translate(exc) or exc


def _sqlite_uri(path: Path, mode: str, immutable: bool = False) -> str:
    uri = f"file:{quote(str(path))}?mode={mode}"
    return uri + "&immutable=1" if immutable else uri


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _open_sqlite(target: DatabaseTarget, timeouts: TimeoutConfig) -> sqlite3.Connection:
    """Open the file the way the target asks; never creates a file."""
    path = target.sqlite_path
    if not path.exists():
        raise DatabaseUnavailableError(
            f"database file {path} does not exist (the server never creates one; "
            "`dsa110-dash db upgrade` makes a new database)")
    mode = "ro" if target.read_only else "rw"
    try:
        conn = sqlite3.connect(_sqlite_uri(path, mode), uri=True,
                               timeout=timeouts.db_connection, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        # A WAL database in a directory we may not write (a read-only copy, a file
        # owned by the pipeline account) cannot create its -shm file. Nobody writes
        # such a file, so opening it immutable is safe.
        if not (target.read_only and path.is_file() and os.access(path, os.R_OK)
                and not os.access(path.parent, os.W_OK)):
            raise
        log.warning("opening %s as immutable (%s): its directory is not writable",
                    path, exc)
        conn = sqlite3.connect(_sqlite_uri(path, "ro", immutable=True), uri=True,
                               timeout=timeouts.db_connection, check_same_thread=False)
    # We issue BEGIN ourselves (see _begin) so SQLite's locking is predictable.
    conn.isolation_level = None
    busy_ms = int(timeouts.db_connection * 1000)
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    if target.read_only:
        conn.execute("PRAGMA query_only = 1")
    else:
        mode_now = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode_now.lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    if target.cal_registry_path is not None:
        cal_mode = "ro" if target.read_only else "rw"
        conn.execute(f"ATTACH DATABASE ? AS {SQLITE_ATTACHED_SCHEMA}",
                     (_sqlite_uri(target.cal_registry_path, cal_mode),))
    return conn


def create_engine_for(target: DatabaseTarget, settings: Settings) -> Engine:
    timeouts = settings.timeouts
    if target.is_sqlite:
        if target.read_only and not target.sqlite_path.exists():
            raise DatabaseUnavailableError(
                f"database file {target.sqlite_path} does not exist")
        engine = sa.create_engine(
            "sqlite+pysqlite://",
            creator=lambda: _open_sqlite(target, timeouts),
            poolclass=sa.pool.QueuePool,
            # Room for every thread and streaming export at once (decision 0022):
            # SQLite connections are cheap, a wait for one is a stalled page.
            pool_size=max(settings.num_threads, 2),
            max_overflow=settings.connections_in_use,
            pool_timeout=timeouts.db_connection,
        )

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # A connection with execution option sqlite_begin="BEGIN IMMEDIATE" takes
            # the write lock at once (the job queue's atomic claim).
            conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

        @event.listens_for(engine, "connect")
        def _remember_file(dbapi_conn, record) -> None:  # noqa: ANN001 - SQLAlchemy's
            record.info["file"] = _file_identity(target.sqlite_path)

        @event.listens_for(engine, "checkout")
        def _same_file(dbapi_conn, record, proxy) -> None:  # noqa: ANN001 - SQLAlchemy's
            # Deleted or replaced since this connection opened it: the pool drops the
            # connection and opens the path again (which fails while it is missing).
            if _file_identity(target.sqlite_path) != record.info.get("file"):
                raise sa.exc.DisconnectionError(f"{target.sqlite_path} was removed or replaced")

        return engine

    if settings.pool_size + settings.max_overflow < settings.connections_in_use:
        log.warning("DSA110_DASH_DB_POOL_SIZE + DSA110_DASH_DB_MAX_OVERFLOW = %d is less "
                    "than the %d connections the worker threads and exports may hold at "
                    "once; requests will wait for a connection", settings.pool_size
                    + settings.max_overflow, settings.connections_in_use)
    # JIT compilation costs more than it saves on the dashboard's short queries.
    options = f"-c statement_timeout={int(timeouts.statement * 1000)} -c jit=off"
    if target.read_only:
        options += " -c default_transaction_read_only=on"
    return sa.create_engine(
        target.url,
        pool_pre_ping=True,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_recycle=settings.pool_recycle,
        pool_timeout=timeouts.db_connection,
        connect_args={"connect_timeout": max(1, int(timeouts.db_connection)),
                      "options": options,
                      "application_name": "dsa110-dashboard"},
    )


class Database:
    """The database the dashboard serves: engine, catalog and transactions.

    Thread-safe; the engine and catalog are made on first use in each process.
    """

    def __init__(self, settings: Settings, target: DatabaseTarget | None = None):
        self.settings = settings
        self.target = target or resolve_target(settings)
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._catalog: Catalog | None = None
        self._pid: int | None = None

    # ----------------------------------------------------------- lifecycle
    @property
    def engine(self) -> Engine:
        pid = os.getpid()
        if self._engine is None or self._pid != pid:
            with self._lock:
                if self._engine is None or self._pid != pid:
                    if self._engine is not None:
                        # Inherited from the parent: drop its pool without closing
                        # the parent's sockets.
                        self._engine.dispose(close=False)
                    self._engine = create_engine_for(self.target, self.settings)
                    self._catalog = None
                    self._pid = pid
        return self._engine

    @property
    def catalog(self) -> Catalog:
        engine = self.engine
        if self._catalog is None:
            with self.connect() as conn:
                catalog = Catalog.read(conn)
            with self._lock:
                if self._engine is engine:
                    self._catalog = catalog
            return catalog
        return self._catalog

    def refresh_catalog(self) -> Catalog:
        self._catalog = None
        return self.catalog

    def create_missing_file(self) -> None:
        """Create an empty SQLite database file if there is none (for ``db upgrade``, the
        demo and ``scale-db``; the server itself never creates one)."""
        path = self.target.sqlite_path
        if path is None or path.exists():
            return
        try:
            sqlite3.connect(_sqlite_uri(path, "rwc"), uri=True).close()
        except sqlite3.Error as exc:
            raise DatabaseUnavailableError(f"cannot create database file {path}: {exc}") \
                from exc

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = None
            self._catalog = None

    @property
    def dialect(self) -> str:
        return self.target.dialect

    @property
    def read_only(self) -> bool:
        return self.target.read_only

    def describe(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"{self.target.display()} ({self.dialect}, {mode}, from {self.target.origin})"

    # ------------------------------------------------------ connections
    def connect(self) -> AbstractContextManager[Connection]:
        """A connection for reads; its implicit transaction ends with the block."""
        return self._translated(lambda: self.engine.connect())

    def transaction(self) -> AbstractContextManager[Connection]:
        """Commit when the block succeeds, roll back when it raises."""
        return self._translated(lambda: self.engine.begin())

    @contextmanager
    def maintenance_transaction(self) -> Iterator[Connection]:
        """``transaction()`` for bulk and maintenance work (migrations, index builds,
        summary rebuilds): on PostgreSQL without the statement timeout, which is there
        to stop a runaway interactive query, not an index build over 20 million rows."""
        with self.transaction() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            yield conn

    @staticmethod
    @contextmanager
    def _translated(open_connection) -> Iterator[Connection]:
        """Driver errors (also those of connecting) become the dashboard's own."""
        try:
            with open_connection() as conn:
                yield conn
        except DRIVER_ERRORS as exc:
            raise _translated(exc) from exc

    def ping(self, timeout: float | None = None) -> float:
        """Seconds a ``SELECT 1`` took; raises DatabaseUnavailableError."""
        start = time.perf_counter()
        with self.connect() as conn:
            if self.dialect == "postgresql" and timeout:
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
            # On SQLite, SELECT 1 touches no file; reading the schema needs the shared
            # lock that a pipeline writer holding the file exclusively would deny.
            probe = "SELECT count(*) FROM sqlite_master" if self.target.is_sqlite else "SELECT 1"
            conn.exec_driver_sql(probe).scalar()
        return time.perf_counter() - start
