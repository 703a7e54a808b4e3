"""Every path, URL, port, timeout and limit the dashboard uses, in one place.

Each setting has an environment variable with a documented default, and may be
overridden by a CLI flag. ``Settings.load`` records where every value came from so
``dsa110-dash config show`` can say so. An invalid value stops start-up with a
``ConfigError`` whose single line names the variable.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

PREFIX = "DSA110_DASH_"


# ---------------------------------------------------------------- value parsers
def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a number greater than 0")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be a whole number of at least 0")
    return value


def _port(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a port number (0-65535)") from None
    if not 0 <= value <= 65535:
        raise ValueError(f"{value} is not a port number (0-65535)")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{raw!r} is not a boolean (use true/false, 1/0, yes/no)")


def _optional_bool(raw: str) -> bool | None:
    if raw.strip().lower() == "auto":
        return None
    return _bool(raw)


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _existing_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ValueError(f"file {str(path)!r} does not exist")
    return path


def _path_list(raw: str) -> tuple[Path, ...]:
    return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip())


def _str_list(raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _text(raw: str) -> str:
    return raw


# -------------------------------------------------------------- field helper
def setting(
    env: str,
    default: Any,
    parse: Callable[[str], Any],
    doc: str,
    *,
    secret: bool = False,
    group: str = "general",
    unset: str = "(unset)",
) -> Any:
    """A dataclass field that knows its environment variable and parser.

    ``unset`` is what ``config show`` prints while the value is None or empty.
    """
    meta = {"env": env, "parse": parse, "doc": doc, "secret": secret, "group": group,
            "unset": unset}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use tuples for list defaults")
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TimeoutConfig:
    """Every timeout, in seconds; nothing else in the code hard-codes one."""

    db_connection: float = setting(
        "DSA110_DASH_TIMEOUT_DB_CONNECTION", 30.0, _positive_float,
        "Connecting to the database, and SQLite's busy timeout while a writer holds the lock.",
        group="timeouts")
    quick_check: float = setting(
        "DSA110_DASH_TIMEOUT_QUICK_CHECK", 2.0, _positive_float,
        "A liveness probe such as SELECT 1 or a TCP connect.", group="timeouts")
    health_check: float = setting(
        "DSA110_DASH_TIMEOUT_HEALTH_CHECK", 5.0, _positive_float,
        "One service health check (systemctl, HTTP health endpoint).", group="timeouts")
    http: float = setting(
        "DSA110_DASH_TIMEOUT_HTTP", 30.0, _positive_float,
        "An outgoing HTTP request.", group="timeouts")
    statement: float = setting(
        "DSA110_DASH_TIMEOUT_STATEMENT", 30.0, _positive_float,
        "One SQL statement on PostgreSQL (statement_timeout).", group="timeouts")
    websocket_ping: float = setting(
        "DSA110_DASH_TIMEOUT_WEBSOCKET_PING", 30.0, _positive_float,
        "Interval of the server's websocket keep-alive ping.", group="timeouts")
    image_render: float = setting(
        "DSA110_DASH_TIMEOUT_IMAGE_RENDER", 60.0, _positive_float,
        "Reading and rendering one image before the request gives up.", group="timeouts")
    slow_client: float = setting(
        "DSA110_DASH_TIMEOUT_SLOW_CLIENT", 30.0, _positive_float,
        "A streamed export or download waits this long for the client to take one chunk, "
        "then drops the connection.", group="timeouts")
    job_command: float = setting(
        "DSA110_DASH_TIMEOUT_JOB_COMMAND", 10.0, _positive_float,
        "Starting an operator command (rerun, cancel) before it is reported failed.",
        group="timeouts")


def _default_data_dir() -> Path:
    return Path.cwd() / "demo-data"


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one process."""

    db: str | None = setting(
        "DSA110_DASH_DB", None, _text,
        "Database to serve: a SQLite file path or a SQLAlchemy URL "
        "(postgresql+psycopg://user@host/db). Overrides the pipeline variables below.",
        secret=True, group="database")
    pipeline_db: Path | None = setting(
        "PIPELINE_DB", None, _existing_file,
        "The pipeline's unified database (pipeline.sqlite3); opened read-only by default.",
        group="database")
    pipeline_products_db: Path | None = setting(
        "PIPELINE_PRODUCTS_DB", None, _existing_file,
        "Older layout: products.sqlite3; used with PIPELINE_CAL_REGISTRY_DB.",
        group="database")
    pipeline_cal_registry_db: Path | None = setting(
        "PIPELINE_CAL_REGISTRY_DB", None, _existing_file,
        "Older layout: cal_registry.sqlite3, attached beside products.sqlite3.",
        group="database")
    state_dir: Path = setting(
        "DSA110_STATE_DIR", Path("/data/dsa110-contimg/state"), _path,
        "The pipeline's state directory.", group="pipeline")
    logs_dir: Path | None = setting(
        "CONTIMG_LOGS_DIR", None, _path,
        "Directory of the pipeline's job logs ({run_id}.log); default <state_dir>/logs.",
        group="pipeline", unset="(<state_dir>/logs)")
    data_dir: Path = setting(
        "DSA110_DASH_DATA_DIR", None, _path,
        "The dashboard's own data directory: the embedded default database "
        "(pipeline.sqlite3), the demo dataset's files and the cache. Default ./demo-data.",
        group="paths")
    data_roots: tuple[Path, ...] = setting(
        "DSA110_DASH_DATA_ROOTS", (), _path_list,
        "Directories image, log and table files may be served from "
        "(os.pathsep-separated). Default: the data directory and the state directory.",
        group="paths", unset="(data_dir and state_dir)")
    cache_dir: Path | None = setting(
        "DSA110_DASH_CACHE_DIR", None, _path,
        "Thumbnail and query cache directory. Default <data_dir>/cache.", group="paths",
        unset="(<data_dir>/cache)")
    read_only: bool | None = setting(
        "DSA110_DASH_READ_ONLY", None, _optional_bool,
        "Open the database read-only: true, false, or auto (read-only for a pipeline "
        "database found through PIPELINE_*, writable for our own).", group="database",
        unset="auto")
    pool_size: int = setting(
        "DSA110_DASH_DB_POOL_SIZE", 5, _positive_int,
        "PostgreSQL connection pool size per process.", group="database")
    max_overflow: int = setting(
        "DSA110_DASH_DB_MAX_OVERFLOW", 10, _non_negative_int,
        "PostgreSQL connections allowed beyond the pool size.", group="database")
    pool_recycle: int = setting(
        "DSA110_DASH_DB_POOL_RECYCLE", 1800, _positive_int,
        "Seconds after which a pooled PostgreSQL connection is replaced.", group="database")
    address: str = setting(
        "DSA110_DASH_ADDRESS", "127.0.0.1", _text,
        "Address the server listens on (0.0.0.0 for the control room network).",
        group="server")
    port: int = setting("DSA110_DASH_PORT", 5006, _port, "HTTP port of the server.",
                        group="server")
    num_procs: int = setting(
        "DSA110_DASH_NUM_PROCS", 1, _positive_int,
        "Server processes (forked; put several behind a proxy with sticky sessions).",
        group="server")
    num_threads: int = setting(
        "DSA110_DASH_NUM_THREADS", 4, _positive_int,
        "Worker threads per process for the pages' queries and image rendering.",
        group="server")
    api_threads: int = setting(
        "DSA110_DASH_API_THREADS", 4, _positive_int,
        "Worker threads per process for the HTTP endpoints' interactive work (thumbnails, "
        "cutouts, lightcurves, health); exports and pages have their own.", group="server")
    export_concurrency: int = setting(
        "DSA110_DASH_EXPORT_CONCURRENCY", 2, _positive_int,
        "Exports and file downloads streamed at once per process; more are refused with "
        "503 and Retry-After. Each holds a database connection while it streams.",
        group="server")
    allow_websocket_origin: tuple[str, ...] = setting(
        "DSA110_DASH_ALLOW_WEBSOCKET_ORIGIN", (), _str_list,
        "Comma-separated host[:port] origins allowed to open the websocket "
        "(default: the address and port served).", group="server")
    basic_auth: str | None = setting(
        "DSA110_DASH_BASIC_AUTH", None, _text,
        "Require sign-in: one shared password, or the path of a JSON file mapping users "
        "to passwords. Needs DSA110_DASH_COOKIE_SECRET. Unset: open access.",
        secret=True, group="server")
    operator_token: str | None = setting(
        "DSA110_DASH_OPERATOR_TOKEN", None, _text,
        "Shared secret operators present to rerun or cancel jobs and clear caches; "
        "unset disables operator actions.", secret=True, group="server")
    cookie_secret: str | None = setting(
        "DSA110_DASH_COOKIE_SECRET", None, _text,
        "Secret that signs session cookies.", secret=True, group="server")
    page_size_max: int = setting(
        "DSA110_DASH_PAGE_SIZE_MAX", 500, _positive_int,
        "The largest page a table or API request may ask for.", group="limits")
    export_max_rows: int = setting(
        "DSA110_DASH_EXPORT_MAX_ROWS", 1_000_000, _positive_int,
        "The most rows one CSV export streams.", group="limits")
    thumbnail_cache_bytes: int = setting(
        "DSA110_DASH_THUMBNAIL_CACHE_BYTES", 2 * 1024**3, _positive_int,
        "Size limit of the thumbnail cache; least-recently-used thumbnails go first.",
        group="limits")
    count_cache_seconds: float = setting(
        "DSA110_DASH_COUNT_CACHE_SECONDS", 30.0, _positive_float,
        "How long the overview's row counts are reused before they are counted again.",
        group="limits")
    status_check_seconds: float = setting(
        "DSA110_DASH_STATUS_CHECK_SECONDS", 10.0, _positive_float,
        "How often each open page checks that the database answers (the banner).",
        group="limits")
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    # ------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Build settings from the environment, then CLI ``overrides`` (by field name).

        An empty environment variable counts as unset.
        """
        environ = os.environ if environ is None else environ
        overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        sources: dict[str, str] = {}

        def read(klass: type, prefix: str) -> dict[str, Any]:
            values: dict[str, Any] = {}
            for f in dataclasses.fields(klass):
                if "env" not in f.metadata:
                    continue
                key = prefix + f.name
                env = f.metadata["env"]
                if key in overrides:
                    raw, origin = overrides[key], "command line"
                elif environ.get(env, "").strip():
                    raw, origin = environ[env].strip(), f"env {env}"
                else:
                    sources[key] = "default"
                    continue
                sources[key] = origin
                if isinstance(raw, str):
                    try:
                        raw = f.metadata["parse"](raw)
                    except ValueError as exc:
                        raise ConfigError(f"{env}: {exc}") from None
                values[f.name] = raw
            return values

        timeouts = TimeoutConfig(**read(TimeoutConfig, "timeouts."))
        values = read(cls, "")
        if values.get("data_dir") is None:
            values["data_dir"] = _default_data_dir()
        return cls(**values, timeouts=timeouts, sources=sources)

    # ------------------------------------------------------- derived values
    @property
    def effective_logs_dir(self) -> Path:
        return self.logs_dir or self.state_dir / "logs"

    @property
    def effective_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def embedded_db_path(self) -> Path:
        return self.data_dir / "pipeline.sqlite3"

    @property
    def effective_data_roots(self) -> tuple[Path, ...]:
        return self.data_roots or (self.data_dir, self.state_dir)

    @property
    def connections_in_use(self) -> int:
        """Database connections one process may hold at once: one per page worker
        thread, per API worker thread and per streaming export (decision 0022)."""
        return self.num_threads + self.api_threads + self.export_concurrency

    def describe(self) -> list[tuple[str, str, str, str]]:
        """(name, environment variable, shown value, origin) for every setting."""
        rows = []
        for klass, obj, prefix in ((Settings, self, ""),
                                   (TimeoutConfig, self.timeouts, "timeouts.")):
            for f in dataclasses.fields(klass):
                if "env" not in f.metadata:
                    continue
                key = prefix + f.name
                value = getattr(obj, f.name)
                shown = _show(value, secret=f.metadata["secret"],
                              unset=f.metadata["unset"])
                rows.append((key, f.metadata["env"], shown,
                             self.sources.get(key, "default")))
        return rows


def _show(value: Any, *, secret: bool, unset: str = "(unset)") -> str:
    if value is None or value == ():
        return unset
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    text = str(value)
    if secret:
        return mask_secret(text)
    return text


def mask_secret(text: str) -> str:
    """Mask a password inside a URL, or a whole token."""
    if "://" in text:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(text).render_as_string(hide_password=True)
        except ArgumentError:
            return "***"
    if os.path.exists(text) or text.endswith((".sqlite3", ".sqlite", ".db")):
        return text  # a file path is not a secret (a password with a "/" still is)
    return "***"


def environment_documentation() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for the README and ``config show --help``."""
    rows = []
    for klass in (Settings, TimeoutConfig):
        for f in dataclasses.fields(klass):
            if "env" not in f.metadata:
                continue
            default = f.default if f.default is not dataclasses.MISSING else None
            rows.append((f.metadata["env"],
                         _show(default, secret=False, unset=f.metadata["unset"]),
                         f.metadata["doc"]))
    return rows
