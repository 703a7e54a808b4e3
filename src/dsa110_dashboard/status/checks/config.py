"""Which checks run: by default what the dashboard itself depends on; a TOML file named
by ``DSA110_DASH_HEALTH_CHECKS`` adds or replaces them (docs/health-checks.example.toml
holds the DSA-110 deployment's list).

The file::

    include_defaults = true        # keep the dashboard's own checks (default true)

    [[check]]
    name = "pipeline-api"          # unique; shown on /health and in the API
    kind = "http"                  # http, tcp, redis, systemd, disk, database,
    url = "http://127.0.0.1:8000/api/status"   # workers, queue, freshness, thumbnail-cache
    timeout = 5                    # seconds; default from TimeoutConfig

A mistake stops start-up with one line naming the file, the entry and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...db.engine import Database
from ...db.target import parse_database
from ...errors import ConfigError
from ...settings import Settings
from .monitor import HealthMonitor
from .probes import (
    GB,
    UNIT_NAME,
    Check,
    DatabaseCheck,
    DiskCheck,
    FreshnessCheck,
    HttpCheck,
    QueueCheck,
    RedisCheck,
    SystemdCheck,
    TcpCheck,
    ThumbnailCacheCheck,
    WorkersCheck,
)

SETTING = "DSA110_DASH_HEALTH_CHECKS"


class HealthConfigError(ConfigError):
    """A health-check file that cannot be used; the message names the entry."""


class _Entry:
    """One ``[[check]]`` table, read key by key so an unknown key can be named."""

    def __init__(self, where: str, table: dict[str, Any]):
        self.where = where
        self.table = dict(table)
        self.used = {"name", "kind", "timeout"}

    def fail(self, message: str) -> HealthConfigError:
        return HealthConfigError(f"{self.where}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None,
            required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                raise self.fail(f"'{key}' is missing")
            return default
        value = self.table[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(f"'{key}' must be a number, not {value!r}")
        if not isinstance(value, kind):
            raise self.fail(f"'{key}' has the wrong type ({type(value).__name__}: {value!r})")
        return value

    def positive(self, key: str, default: float) -> float:
        value = self.get(key, (int, float), default)
        if not value > 0:
            raise self.fail(f"'{key}' must be greater than 0, not {value!r}")
        return float(value)

    def port(self, default: int | None = None) -> int:
        value = self.get("port", int, default, required=default is None)
        if not 1 <= value <= 65535:
            raise self.fail(f"'port' {value} is not a port number (1-65535)")
        return value

    def finish(self) -> None:
        extra = sorted(set(self.table) - self.used)
        if extra:
            raise self.fail(f"unknown key '{extra[0]}'")


class ChecksBuilder:
    """Makes checks from settings and the dashboard's databases."""

    def __init__(self, settings: Settings, db: Database, store_db: Database | None = None):
        self.settings = settings
        self.db = db
        self.store_db = store_db
        quick = settings.timeouts.quick_check
        self.timeouts = {"database": quick, "tcp": quick, "redis": quick,
                         "http": settings.timeouts.health_http,
                         "systemd": settings.timeouts.health_systemd}
        self.kinds: dict[str, Callable[[_Entry, str, float], Check]] = {
            "database": self._database, "disk": self._disk, "http": self._http,
            "tcp": self._tcp, "redis": self._redis, "systemd": self._systemd,
            "workers": lambda e, n, t: WorkersCheck(n, t, db=self.db),
            "queue": lambda e, n, t: self.queue(n, t),
            "freshness": lambda e, n, t: self.freshness(n, t),
            "thumbnail-cache": lambda e, n, t: self.thumbnail_cache(n, t),
        }

    def timeout(self, kind: str) -> float:
        return self.timeouts.get(kind, self.settings.timeouts.health_check)

    # ------------------------------------------------------------ defaults
    def defaults(self) -> list[Check]:
        s = self.settings
        checks: list[Check] = [DatabaseCheck("database", self.timeout("database"), db=self.db)]
        if self.store_db is not None:
            checks.append(DatabaseCheck("sign-in store", self.timeout("database"),
                                        db=self.store_db))
        checks.append(self.disk("disk: data dir", s.data_dir, self.timeout("disk")))
        if s.effective_cache_dir.resolve() != s.data_dir.resolve():
            checks.append(self.disk("disk: cache dir", s.effective_cache_dir,
                                    self.timeout("disk")))
        checks += [self.thumbnail_cache("thumbnail cache", self.timeout("thumbnail-cache")),
                   WorkersCheck("workers", self.timeout("workers"), db=self.db),
                   self.queue("queue", self.timeout("queue")),
                   self.freshness("freshness", self.timeout("freshness"))]
        return checks

    def disk(self, name: str, path: Path, timeout: float, ok_gb: float | None = None,
             warning_gb: float | None = None) -> DiskCheck:
        ok = self.settings.disk_ok_gb if ok_gb is None else ok_gb
        warning = self.settings.disk_warning_gb if warning_gb is None else warning_gb
        return DiskCheck(name, timeout, path=Path(path), ok_bytes=int(ok * GB),
                         warning_bytes=int(warning * GB))

    def queue(self, name: str, timeout: float) -> QueueCheck:
        return QueueCheck(name, timeout, db=self.db,
                          warn_after_s=self.settings.queue_pending_warn_minutes * 60)

    def freshness(self, name: str, timeout: float) -> FreshnessCheck:
        return FreshnessCheck(name, timeout, db=self.db,
                              stalled_after_s=self.settings.pipeline_stalled_minutes * 60)

    def thumbnail_cache(self, name: str, timeout: float) -> ThumbnailCacheCheck:
        from ...fits.cache import cache_for

        return ThumbnailCacheCheck(name, timeout, cache=cache_for(self.settings))

    # ------------------------------------------------------------ the file
    def from_file(self, path: Path) -> list[Check]:
        where = f"{SETTING}: {path}"
        try:
            with open(path, "rb") as f:
                document = tomllib.load(f)
        except OSError as exc:
            raise HealthConfigError(f"{where}: cannot be read ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise HealthConfigError(f"{where}: not valid TOML ({exc})") from None
        unknown = sorted(set(document) - {"include_defaults", "check"})
        if unknown:
            raise HealthConfigError(f"{where}: unknown top-level key '{unknown[0]}' "
                                    "(use include_defaults and [[check]] tables)")
        include = document.get("include_defaults", True)
        if not isinstance(include, bool):
            raise HealthConfigError(f"{where}: include_defaults must be true or false")
        tables = document.get("check", [])
        if not isinstance(tables, list):
            raise HealthConfigError(f"{where}: 'check' must be [[check]] tables")
        checks = self.defaults() if include else []
        names = {c.name for c in checks}
        for number, table in enumerate(tables, 1):
            label = table.get("name") if isinstance(table.get("name"), str) else None
            entry = _Entry(f"{where}: check #{number}" + (f" ({label!r})" if label else ""),
                           table)
            check = self._entry(entry)
            if check.name in names:
                raise entry.fail(f"the name {check.name!r} is used twice"
                                 + (" (a default check has it)" if include else ""))
            names.add(check.name)
            checks.append(check)
        if not checks:
            raise HealthConfigError(f"{where}: no checks (add [[check]] tables or set "
                                    "include_defaults = true)")
        return checks

    def _entry(self, entry: _Entry) -> Check:
        name = entry.get("name", str, required=True).strip()
        if not name or len(name) > 80:
            raise entry.fail("'name' must be 1 to 80 characters")
        kind = entry.get("kind", str, required=True)
        make = self.kinds.get(kind)
        if make is None:
            raise entry.fail(f"unknown kind {kind!r} (one of {', '.join(sorted(self.kinds))})")
        timeout = entry.positive("timeout", self.timeout(kind))
        check = make(entry, name, timeout)
        entry.finish()
        return check

    def _database(self, e: _Entry, name: str, timeout: float) -> Check:
        which = e.get("database", str, "dashboard")
        if which == "dashboard":
            return DatabaseCheck(name, timeout, db=self.db)
        if which == "sign-in":
            if self.store_db is None:
                raise e.fail("the sign-in store is not in use on this server")
            return DatabaseCheck(name, timeout, db=self.store_db)
        try:
            target = parse_database(which, SETTING, read_only=True)
        except ConfigError as exc:
            raise e.fail(f"'database': {exc}") from None
        return DatabaseCheck(name, timeout,
                             db=Database(dataclasses.replace(self.settings, read_only=True),
                                         target))

    def _disk(self, e: _Entry, name: str, timeout: float) -> Check:
        path = Path(e.get("path", str, required=True)).expanduser()
        ok = e.positive("ok_gb", self.settings.disk_ok_gb)
        warning = e.positive("warning_gb", self.settings.disk_warning_gb)
        if warning > ok:
            raise e.fail(f"'warning_gb' ({warning:g}) is above 'ok_gb' ({ok:g})")
        return self.disk(name, path, timeout, ok, warning)

    def _http(self, e: _Entry, name: str, timeout: float) -> Check:
        url = e.get("url", str, required=True)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise e.fail(f"'url' {url!r} is not an http:// or https:// address")
        return HttpCheck(name, timeout, url=url)

    def _tcp(self, e: _Entry, name: str, timeout: float) -> Check:
        return TcpCheck(name, timeout, host=self._host(e), port=e.port())

    def _redis(self, e: _Entry, name: str, timeout: float) -> Check:
        return RedisCheck(name, timeout, host=self._host(e), port=e.port(6379))

    @staticmethod
    def _host(e: _Entry) -> str:
        host = e.get("host", str, "127.0.0.1").strip()
        if not host or any(c.isspace() for c in host):
            raise e.fail(f"'host' {host!r} is not a host name or address")
        return host

    def _systemd(self, e: _Entry, name: str, timeout: float) -> Check:
        unit = e.get("unit", str, required=True)
        if not UNIT_NAME.fullmatch(unit) or unit.startswith("-"):
            raise e.fail(f"'unit' {unit!r} is not a systemd unit name")
        return SystemdCheck(name, timeout, unit=unit, user=e.get("user", bool, False))


def load_checks(settings: Settings, db: Database,
                store_db: Database | None = None) -> list[Check]:
    """The configured checks; raises HealthConfigError naming a bad entry."""
    if settings.disk_warning_gb > settings.disk_ok_gb:
        raise HealthConfigError("DSA110_DASH_DISK_WARNING_GB: must not be above "
                                f"DSA110_DASH_DISK_OK_GB ({settings.disk_ok_gb:g})")
    builder = ChecksBuilder(settings, db, store_db)
    if settings.health_checks is None:
        return builder.defaults()
    return builder.from_file(settings.health_checks)


def build_monitor(settings: Settings, db: Database,
                  store_db: Database | None = None) -> HealthMonitor:
    """The process's monitor over the configured checks (not started: ``start()`` runs
    its scheduler, after any fork)."""
    return HealthMonitor(load_checks(settings, db, store_db),
                         interval_s=settings.health_interval_seconds,
                         history_s=settings.health_history_hours * 3600)
