"""Every path, URL, port, timeout and limit the dashboard uses, in one place.

Each setting has an environment variable with a documented default, and may be
overridden by a CLI flag. ``Settings.load`` records where every value came from so
``dsa110-dash config show`` can say so. An invalid value stops start-up with a
``ConfigError`` whose single line names the variable.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
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


def _sha256_hex(raw: str) -> str:
    value = raw.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValueError("must be the SHA-256 of the wall token: 64 hex digits, e.g. "
                         "from `printf %s \"$TOKEN\" | sha256sum` (the token itself is "
                         "never stored)")
    return value


_FRAME_SOURCE = re.compile(
    r"'self'|\*|[A-Za-z][A-Za-z0-9+.-]*:(//[^\s;,']+)?|(\*\.)?[A-Za-z0-9.-]+(:(\d+|\*))?")


def _frame_ancestors(raw: str) -> str:
    """A CSP frame-ancestors source list: 'none' alone, or 'self', hosts and origins."""
    sources = raw.split()
    if sources == ["'none'"]:
        return "'none'"
    bad = [s for s in sources if not _FRAME_SOURCE.fullmatch(s)]
    if bad or not sources:
        raise ValueError(f"{bad[0] if bad else raw!r} is not a frame-ancestors source; use "
                         "'none', or 'self' and origins such as https://jupyter.example.org")
    return " ".join(sources)


ROLE_NAMES = ("viewer", "operator", "admin")


def _role(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ROLE_NAMES:
        raise ValueError(f"{raw!r} is not a role (use viewer, operator or admin)")
    return value


def _roles(raw: str) -> str:
    for pair in _str_list(raw):
        user, sep, role = pair.partition("=")
        if not sep or not user.strip():
            raise ValueError(f"{pair!r} is not user=role")
        _role(role)
    return raw


def _json_object(raw: str) -> dict:
    import json

    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object, e.g. {\"TOKEN_URL\": \"https://...\"}")
    return raw  # the text: settings stay hashable; auth.oauth reads it


def _networks(raw: str) -> tuple[str, ...]:
    """Comma-separated addresses and ranges (``10.1.2.0/24``, ``192.168.5.17``, ``::1``)."""
    nets = []
    for part in _str_list(raw):
        try:
            nets.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(f"{part!r} is not an address or network (e.g. 10.1.0.0/16, "
                             "::1)") from None
    return tuple(nets)


def _lower(raw: str) -> str:
    return raw.strip().lower()


def _command_template(raw: str) -> str:
    # Imported here: the jobs package imports settings.
    from .jobs.commands import CommandTemplate

    CommandTemplate.parse(raw)
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
    statement: float = setting(
        "DSA110_DASH_TIMEOUT_STATEMENT", 30.0, _positive_float,
        "One SQL statement on PostgreSQL (statement_timeout); bulk and maintenance "
        "work (migrations, scale-db, image-summary grades) runs without it.",
        group="timeouts")
    websocket_ping: float = setting(
        "DSA110_DASH_TIMEOUT_WEBSOCKET_PING", 30.0, _positive_float,
        "Interval of the server's websocket keep-alive ping.", group="timeouts")
    page_update: float = setting(
        "DSA110_DASH_TIMEOUT_PAGE_UPDATE", 30.0, _positive_float,
        "A page's background load waits this long for the server to show its result; past "
        "it the browser tab is taken as gone and the worker thread moves on.",
        group="timeouts")
    image_render: float = setting(
        "DSA110_DASH_TIMEOUT_IMAGE_RENDER", 60.0, _positive_float,
        "Reading and rendering one image before the request gives up.", group="timeouts")
    slow_client: float = setting(
        "DSA110_DASH_TIMEOUT_SLOW_CLIENT", 30.0, _positive_float,
        "A streamed export or download waits this long for the client to take one chunk, "
        "then drops the connection.", group="timeouts")
    job_run: float = setting(
        "DSA110_DASH_TIMEOUT_JOB_RUN", 3600.0, _positive_float,
        "How long one queued job's command may run before the worker ends it (SIGTERM to "
        "its process group, then SIGKILL) and marks it failed.", group="timeouts")
    job_kill_grace: float = setting(
        "DSA110_DASH_TIMEOUT_JOB_KILL_GRACE", 10.0, _positive_float,
        "After SIGTERM (cancel, timeout, worker shutdown), how long a job's processes get "
        "to exit before SIGKILL.", group="timeouts")
    job_heartbeat: float = setting(
        "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT", 5.0, _positive_float,
        "Interval at which a worker writes a running job's heartbeat and looks for a "
        "cancel request.", group="timeouts")
    job_heartbeat_stale: float = setting(
        "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT_STALE", 60.0, _positive_float,
        "A running job whose heartbeat is older than this belongs to a dead worker: the "
        "next worker retries it or marks it failed.", group="timeouts")
    dask_connect: float = setting(
        "DSA110_DASH_TIMEOUT_DASK_CONNECT", 10.0, _positive_float,
        "Connecting to the Dask scheduler of DSA110_DASH_DASK_SCHEDULER.",
        group="timeouts")
    worker_poll: float = setting(
        "DSA110_DASH_TIMEOUT_WORKER_POLL", 2.0, _positive_float,
        "Interval at which an idle worker looks for pending jobs and batches.",
        group="timeouts")
    health_check: float = setting(
        "DSA110_DASH_TIMEOUT_HEALTH_CHECK", 5.0, _positive_float,
        "A health check of a disk, the workers, the queue, the freshness or the thumbnail "
        "cache (databases, TCP ports and Redis use the quick-check timeout); past it the "
        "check is critical \"timed out\".", group="timeouts")
    health_http: float = setting(
        "DSA110_DASH_TIMEOUT_HEALTH_HTTP", 5.0, _positive_float,
        "An HTTP service's health check (the pipeline API, Grafana, Prometheus).",
        group="timeouts")
    health_systemd: float = setting(
        "DSA110_DASH_TIMEOUT_HEALTH_SYSTEMD", 5.0, _positive_float,
        "`systemctl is-active UNIT` for a systemd unit's health check.", group="timeouts")


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
        "(os.pathsep-separated). Default: the data directory, the state directory and the "
        "folder of the database file. The dashboard's database, sign-in store, users file "
        "and cache are never served, whatever the roots.",
        group="paths", unset="(data_dir, state_dir, database folder)")
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
        "Require sign-in: one shared password's Argon2 hash (dsa110-dash users hash), or "
        "the path of a JSON file (*.json) mapping users to Argon2 hashes (dsa110-dash users "
        "set NAME); a clear-text password stops start-up. Needs DSA110_DASH_COOKIE_SECRET. "
        "Unset: open access.",
        secret=True, group="server")
    roles: str = setting(
        "DSA110_DASH_ROLES", "", _roles,
        "Who holds which role beyond viewer: comma-separated user=role pairs, role one of "
        "viewer, operator, admin (e.g. \"alice=operator,bob=admin\"). Operators rerun and "
        "cancel jobs, start batches and clear caches; admins also manage API tokens.",
        group="sign-in")
    open_access_role: str = setting(
        "DSA110_DASH_OPEN_ACCESS_ROLE", "viewer", _role,
        "The role of every visitor while sign-in is off (open access). Keep viewer on any "
        "shared network; the local demo may use operator.", group="sign-in")
    cookie_secret: str | None = setting(
        "DSA110_DASH_COOKIE_SECRET", None, _text,
        "Secret that signs the sign-in cookie (keep it the same on every process and host).",
        secret=True, group="server")
    auth_db: str | None = setting(
        "DSA110_DASH_AUTH_DB", None, _text,
        "The sign-in store: sessions, failed sign-ins and API tokens (a SQLite file the "
        "server creates, or a SQLAlchemy URL shared by several hosts). Default "
        "<data_dir>/dashboard-auth.sqlite3.", secret=True, group="sign-in",
        unset="(<data_dir>/dashboard-auth.sqlite3)")
    session_hours: float = setting(
        "DSA110_DASH_SESSION_HOURS", 12.0, _positive_float,
        "How long a sign-in lasts, for pages and API alike; signing out ends it at once.",
        group="sign-in")
    sign_in_max_failures: int = setting(
        "DSA110_DASH_SIGN_IN_MAX_FAILURES", 5, _positive_int,
        "Failed sign-ins allowed per client address and per user name within the window; "
        "more get 429 with Retry-After.", group="sign-in")
    sign_in_window_seconds: float = setting(
        "DSA110_DASH_SIGN_IN_WINDOW_SECONDS", 300.0, _positive_float,
        "The window in which failed sign-ins are counted.", group="sign-in")
    trust_proxy_headers: bool = setting(
        "DSA110_DASH_TRUST_PROXY_HEADERS", False, _bool,
        "Behind a reverse proxy that sets them: take the client address from "
        "X-Forwarded-For/X-Real-Ip and the scheme from X-Forwarded-Proto/X-Scheme (HTTPS "
        "makes the sign-in cookie Secure). Never set it without such a proxy.",
        group="sign-in")
    frame_ancestors: str = setting(
        "DSA110_DASH_FRAME_ANCESTORS", "'none'", _frame_ancestors,
        "Who may show the pages in a frame (CSP frame-ancestors): 'none' (also "
        "X-Frame-Options: DENY), or 'self' and origins, e.g. \"'self' "
        "https://jupyter.example.org\".", group="sign-in")
    oauth_provider: str | None = setting(
        "DSA110_DASH_OAUTH_PROVIDER", None, _lower,
        "Sign in through an OAuth/OIDC provider that Panel supports instead of the users "
        "file: generic, github, gitlab, google, azure, azurev2, okta, auth0, bitbucket... "
        "(decision 0063). Needs the client id and secret, DSA110_DASH_COOKIE_SECRET, and "
        "for generic the provider's URLs in DSA110_DASH_OAUTH_EXTRA_PARAMS. Not with "
        "DSA110_DASH_BASIC_AUTH.", group="sign-in")
    oauth_key: str | None = setting(
        "DSA110_DASH_OAUTH_KEY", None, _text,
        "The OAuth client id registered with the provider.", group="sign-in")
    oauth_secret: str | None = setting(
        "DSA110_DASH_OAUTH_SECRET", None, _text,
        "The OAuth client secret (or name a file holding it in "
        "DSA110_DASH_OAUTH_SECRET_FILE).", secret=True, group="sign-in")
    oauth_secret_file: Path | None = setting(
        "DSA110_DASH_OAUTH_SECRET_FILE", None, _existing_file,
        "A file whose first line is the OAuth client secret (kept out of the "
        "environment).", group="sign-in")
    oauth_redirect_uri: str | None = setting(
        "DSA110_DASH_OAUTH_REDIRECT_URI", None, _text,
        "The URL the provider sends the browser back to: this server's /login as the "
        "browser sees it (e.g. https://dsa110.example.org/login). Default (Panel's): the "
        "server's root on the host the request came to.", group="sign-in")
    oauth_extra_params: str | None = setting(
        "DSA110_DASH_OAUTH_EXTRA_PARAMS", None, _json_object,
        "Provider options as a JSON object, passed to Panel: for generic AUTHORIZE_URL, "
        "TOKEN_URL, USER_URL (userinfo) and USER_KEY (the claim naming the user, default "
        "email); scope; tenant (azure), url (gitlab, okta)...", group="sign-in",
        unset="{}")
    oauth_encryption_key: str | None = setting(
        "DSA110_DASH_OAUTH_ENCRYPTION_KEY", None, _text,
        "Encrypts the provider's tokens in the browser's cookies: 32 url-safe base64 bytes "
        "(`panel oauth-secret` makes one). Unset: the tokens are only signed.",
        secret=True, group="sign-in")
    page_size_max: int = setting(
        "DSA110_DASH_PAGE_SIZE_MAX", 500, _positive_int,
        "The largest page a table or API request may ask for.", group="limits")
    rate_limit_heavy: int = setting(
        "DSA110_DASH_RATE_LIMIT_HEAVY", 600, _non_negative_int,
        "Heavy API requests (the CSV export, FITS downloads, cutouts) one API token, else "
        "one client address, may make per minute in each server process; beyond them: "
        "429 with Retry-After. 0: no limit.", group="limits")
    rate_limit_burst: int = setting(
        "DSA110_DASH_RATE_LIMIT_BURST", 200, _positive_int,
        "How many heavy API requests a client may make at once before "
        "DSA110_DASH_RATE_LIMIT_HEAVY's pace applies (a source page loads a cutout per "
        "epoch).", group="limits")
    request_max_bytes: int = setting(
        "DSA110_DASH_REQUEST_MAX_BYTES", 64 * 1024, _positive_int,
        "The largest API request body accepted; a larger one is a 413.",
        group="limits")
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
    jobs_refresh_seconds: float = setting(
        "DSA110_DASH_JOBS_REFRESH_SECONDS", 5.0, _positive_float,
        "How often an open Jobs page reads the jobs table, the queue and the batches again "
        "(filters, page and scroll stay as they are).", group="limits")
    cal_expiry_warn_hours: float = setting(
        "DSA110_DASH_CAL_EXPIRY_WARN_HOURS", 24.0, _positive_float,
        "The Calibration page warns when a table in the apply-list expires within this "
        "many hours of the chosen time.", group="limits")
    ms_stuck_hours: float = setting(
        "DSA110_DASH_MS_STUCK_HOURS", 6.0, _positive_float,
        "A measurement set that has sat in one stage (before the last, cataloged) longer "
        "than this is counted as stuck on the Measurement sets page.", group="limits")
    log_poll_seconds: float = setting(
        "DSA110_DASH_LOG_POLL_SECONDS", 1.0, _positive_float,
        "How often a job's page reads what a running job's log file gained; it stops "
        "when the job ends.", group="limits")
    metrics_cache_seconds: float = setting(
        "DSA110_DASH_METRICS_CACHE_SECONDS", 15.0, _positive_float,
        "How long /metrics reuses the figures it read from the database (counts, image "
        "rate, queue); scrapes in between cost no query.", group="limits")
    metrics_allow: tuple[str, ...] = setting(
        "DSA110_DASH_METRICS_ALLOW", ("127.0.0.0/8", "::1/128"), _networks,
        "Client addresses and networks that may scrape /metrics without an API token "
        "(comma-separated, e.g. 10.1.0.0/16); others send `Authorization: Bearer` with "
        "any role's token (decision 0064).", group="sign-in")
    pipeline_cmd_template: str | None = setting(
        "PIPELINE_CMD_TEMPLATE", None, _command_template,
        "Command a rerun runs, split once like a shell would (no shell runs it); "
        "placeholders {ms_path} {run_id} {cal_table} {phase_center_ra} {phase_center_dec} "
        "and the override keys are replaced inside their own argument. Unset: reruns are "
        "refused.", group="jobs")
    pipeline_run_cmd: str | None = setting(
        "DSA110_PIPELINE_RUN_CMD", None, _command_template,
        "The pipeline's own name for the command template; used when "
        "PIPELINE_CMD_TEMPLATE is unset.", group="jobs")
    job_max_attempts: int = setting(
        "DSA110_DASH_JOB_MAX_ATTEMPTS", 2, _positive_int,
        "Times a job is started in all: a job whose worker died is retried until it has "
        "been started this often, then marked failed.", group="jobs")
    job_log_tail_lines: int = setting(
        "DSA110_DASH_JOB_LOG_TAIL_LINES", 200, _positive_int,
        "Last lines of a job's output kept in jobs.logs (the whole output goes to "
        "{CONTIMG_LOGS_DIR}/{run_id}.log).", group="jobs")
    worker_concurrency: int = setting(
        "DSA110_DASH_WORKER_CONCURRENCY", 1, _positive_int,
        "Jobs one `dsa110-dash worker` runs at the same time.", group="jobs")
    batch_workers: int = setting(
        "DSA110_DASH_BATCH_WORKERS", 2, _positive_int,
        "Processes of the local pool that runs batch items (without a Dask scheduler).",
        group="jobs")
    dask_scheduler: str | None = setting(
        "DSA110_DASH_DASK_SCHEDULER", None, _text,
        "Address of a Dask distributed scheduler (tcp://host:8786) that runs batch items "
        "instead of the local process pool.", group="jobs")
    demo_live_interval: float = setting(
        "DSA110_DASH_DEMO_LIVE_INTERVAL", 240.0, _positive_float,
        "Seconds between the observations `dsa110-dash demo --live` queues.", group="jobs")
    wall_rotate_seconds: float = setting(
        "DSA110_DASH_WALL_ROTATE_SECONDS", 20.0, _positive_float,
        "How long the wall display (/wall) shows each rotating panel; `?rotate=` "
        "overrides it for one screen.", group="wall")
    wall_refresh_seconds: float = setting(
        "DSA110_DASH_WALL_REFRESH_SECONDS", 30.0, _positive_float,
        "How often an open wall display reads the database again.", group="wall")
    wall_token_sha256: str | None = setting(
        "DSA110_DASH_WALL_TOKEN_SHA256", None, _sha256_hex,
        "With sign-in on: the SHA-256 (hex) of a read-only wall token. /wall?token=TOKEN "
        "opens the wall display without sign-in and leaves a cookie, so the screen's "
        "bookmark can drop the token; it opens nothing but /wall and its thumbnails.",
        secret=True, group="wall")
    wall_networks: tuple[str, ...] = setting(
        "DSA110_DASH_WALL_NETWORKS", (), _networks,
        "With sign-in on: address ranges (CIDR, comma-separated) whose browsers see /wall "
        "and its thumbnails without sign-in, e.g. the control room's 10.1.2.0/24.",
        group="wall")
    health_checks: Path | None = setting(
        "DSA110_DASH_HEALTH_CHECKS", None, _existing_file,
        "A TOML file listing the health checks (docs/health-checks.example.toml is the "
        "DSA-110 deployment's). Unset: the dashboard's own database, disks, thumbnail "
        "cache, workers, queue and freshness.", group="health",
        unset="(the dashboard's own checks)")
    health_interval_seconds: float = setting(
        "DSA110_DASH_HEALTH_INTERVAL_SECONDS", 30.0, _positive_float,
        "How often each server process runs every health check.", group="health")
    health_history_hours: float = setting(
        "DSA110_DASH_HEALTH_HISTORY_HOURS", 24.0, _positive_float,
        "How much history of each health check a process keeps in memory (the /health "
        "page's strip and latency plot).", group="health")
    disk_ok_gb: float = setting(
        "DSA110_DASH_DISK_OK_GB", 5.0, _positive_float,
        "A disk health check is ok with more than this many GB free.", group="health")
    disk_warning_gb: float = setting(
        "DSA110_DASH_DISK_WARNING_GB", 1.0, _positive_float,
        "A disk health check warns with more than this many GB free (and less than "
        "DSA110_DASH_DISK_OK_GB); less is critical.", group="health")
    pipeline_stalled_minutes: float = setting(
        "DSA110_DASH_PIPELINE_STALLED_MINUTES", 60.0, _positive_float,
        "The freshness health check is critical (the pipeline has stalled) when no image "
        "arrived for longer than this; a warning from 15 minutes on.", group="health")
    queue_pending_warn_minutes: float = setting(
        "DSA110_DASH_QUEUE_PENDING_WARN_MINUTES", 30.0, _positive_float,
        "The queue health check warns when the oldest pending job has waited longer.",
        group="health")
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
    def command_template(self) -> str | None:
        """PIPELINE_CMD_TEMPLATE, else the pipeline's DSA110_PIPELINE_RUN_CMD."""
        return self.pipeline_cmd_template or self.pipeline_run_cmd

    @property
    def effective_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def embedded_db_path(self) -> Path:
        return self.data_dir / "pipeline.sqlite3"

    @property
    def effective_data_roots(self) -> tuple[Path, ...]:
        """The configured roots; ``files.DataRoots.for_server`` adds the database's folder
        when none are configured."""
        return self.data_roots or (self.data_dir, self.state_dir)

    @property
    def effective_auth_db(self) -> str:
        return self.auth_db or str(self.data_dir / "dashboard-auth.sqlite3")

    @property
    def users_file(self) -> Path | None:
        """The JSON file of users and passwords, when DSA110_DASH_BASIC_AUTH names one."""
        if self.basic_auth and self.basic_auth.endswith(".json"):
            return Path(self.basic_auth).expanduser().resolve()
        return None

    @property
    def auth_db_file(self) -> Path | None:
        """The sign-in store's file, when it is a SQLite file."""
        value = self.effective_auth_db
        if "://" not in value:
            return Path(value).expanduser().resolve()
        if value.startswith("sqlite:///"):
            return Path(value.removeprefix("sqlite:///")).expanduser().resolve()
        return None

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
