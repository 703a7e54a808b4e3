"""A disk cache of rendered thumbnails shared safely by several processes.

Key: SHA-256 of (engine version, absolute path, file size, mtime_ns, render
parameters). For a CASA image directory, size and mtime are the total size and
newest mtime of its files. A changed file therefore gets a new key; its old
entry is never read again and ages out. The key doubles as the HTTP ETag.

Writes go to a temporary file in the destination directory, then ``os.replace``:
readers see either no file or a whole one, concurrent writers of the same key
both write identical bytes, and an interrupted writer leaves at most a
``.tmp-*`` file that the next eviction pass removes once it is an hour old.

Recency is the file's mtime, set on every hit (``os.utime``), because atime is
not updated on ``noatime``/``relatime`` mounts. When the bytes this process
believes are stored exceed ``max_bytes``, a pass deletes least recently used
entries down to 90% of the limit. Each process keeps its own running estimate,
refreshed by that pass, so the limit can be overshot by what other processes
wrote since; it is a bound on steady-state size, not a hard quota.

Placeholders (file missing, unreadable) are never stored: they are cheap, and
not storing them means a repaired or newly arrived file is rendered at once.

A cache directory that cannot be used (read-only, full, made immutable, its parent a
file) never fails a request: the PNG is rendered and served without being kept
(``CachedPNG.in_cache`` False), the first failure is logged once per process and
``problem`` says why until a write succeeds again (``probe`` checks it on demand).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dsa110_dashboard.errors import ImageReadError
from dsa110_dashboard.fits.placeholder import placeholder_png, render_or_placeholder
from dsa110_dashboard.fits.render import ENGINE_VERSION, RenderParams, render_params

if TYPE_CHECKING:
    from dsa110_dashboard.settings import Settings

log = logging.getLogger(__name__)

_SUFFIX = ".png"
_TMP_PREFIX = ".tmp-"
_STALE_TMP_SECONDS = 3600
_EVICT_TO = 0.9


@dataclass(frozen=True)
class CachedPNG:
    data: bytes
    etag: str  # quoted, ready for an ETag header: '"<key>"'
    from_cache: bool
    ok: bool = True  # False: a placeholder explaining ``reason``
    reason: str | None = None
    in_cache: bool = True  # False: rendered but not kept (a placeholder, an unusable cache)


@dataclass(frozen=True)
class CacheStats:
    count: int
    bytes: int


def file_identity(path: str | os.PathLike[str]) -> tuple[str, int, int]:
    """(absolute path, size, mtime_ns); raises ``ImageReadError`` if missing."""
    path = Path(path).absolute()
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise ImageReadError(f"File missing: {path}") from exc
    except OSError as exc:  # no access, a symlink loop
        raise ImageReadError(f"File unreadable: {exc}") from exc
    except ValueError as exc:  # a NUL byte in the path
        raise ImageReadError(f"Invalid path: {exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        from dsa110_dashboard.fits.casa import directory_identity

        size, mtime_ns = directory_identity(path)
        return str(path), size, mtime_ns
    return str(path), st.st_size, st.st_mtime_ns


def cache_key(identity: tuple[str, int, int], params: RenderParams) -> str:
    blob = json.dumps([ENGINE_VERSION, *identity, params.as_dict()], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class ThumbnailCache:
    def __init__(self, root: str | os.PathLike[str], max_bytes: int):
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.root = Path(root)
        self.max_bytes = int(max_bytes)
        self._estimate: int | None = None
        self._problem: str | None = None
        self._problem_lock = threading.Lock()
        #: This process's reads: served from the cache, rendered (the /health page's
        #: hit rate); reset by ``clear``.
        self.hits = 0
        self.misses = 0
        self._count_lock = threading.Lock()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._unusable(exc)

    @property
    def problem(self) -> str | None:
        """Why the last attempt to use the directory failed; None while it works."""
        return self._problem

    def probe(self) -> str | None:
        """Write and remove a small file now; the problem, or None when the cache works."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".probe", dir=self.root)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(b"probe" * 820)  # a small thumbnail's worth: fails on a full disk
            finally:
                Path(tmp).unlink(missing_ok=True)
        except OSError as exc:
            self._unusable(exc)
        else:
            self._usable_again()
        return self._problem

    def key_for(self, path: str | os.PathLike[str], **params) -> str:
        """The cache key (= ETag without quotes); raises ImageReadError if the file is missing."""
        return cache_key(file_identity(path), render_params(**params))

    def contains(self, path: str | os.PathLike[str], **params) -> bool:
        try:
            return self._path_for(self.key_for(path, **params)).exists()
        except ImageReadError:
            return False

    def get_or_render(self, path: str | os.PathLike[str], **params) -> CachedPNG:
        """The cached PNG, else render (and store) it; a placeholder if the file is bad.

        Raises ``InvalidInputError`` for bad parameters only.
        """
        rp = render_params(**params)
        try:
            identity = file_identity(path)
        except ImageReadError as exc:
            return self._placeholder(path, rp, exc.user_message)
        key = cache_key(identity, rp)
        entry = self._path_for(key)
        try:
            data = entry.read_bytes()
        except FileNotFoundError:
            pass
        except OSError as exc:  # the directory is gone or unreadable: render instead
            self._unusable(exc)
        else:
            self._touch(entry)
            self._count(hit=True)
            return CachedPNG(data=data, etag=f'"{key}"', from_cache=True)

        self._count(hit=False)
        data, ok, reason = render_or_placeholder(path, rp)
        if not ok:
            return CachedPNG(data=data, etag=_placeholder_etag(identity, rp, reason),
                             from_cache=False, ok=False, reason=reason, in_cache=False)
        try:
            changed = file_identity(path) != identity
        except ImageReadError:
            changed = True
        # A file rewritten mid-render must not be stored under the old key.
        stored = not changed and self._store_if_possible(entry, data)
        return CachedPNG(data=data, etag=f'"{key}"', from_cache=False, in_cache=stored)

    def stats(self) -> CacheStats:
        count = total = 0
        for _, size, _ in self._entries():
            count += 1
            total += size
        return CacheStats(count=count, bytes=total)

    @property
    def hit_rate(self) -> float | None:
        """Share of this process's reads served from the cache; None before any."""
        reads = self.hits + self.misses
        return self.hits / reads if reads else None

    def _count(self, hit: bool) -> None:
        with self._count_lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def clear(self) -> None:
        with self._count_lock:
            self.hits = self.misses = 0
        for entry, _, _ in self._entries():
            entry.unlink(missing_ok=True)
        for tmp in self.root.glob(f"*/{_TMP_PREFIX}*"):
            tmp.unlink(missing_ok=True)
        self._estimate = 0

    def evict(self) -> int:
        """Delete least recently used entries down to 90% of ``max_bytes``; return bytes freed."""
        self._remove_stale_temporaries()
        entries = sorted(self._entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        freed = 0
        target = int(self.max_bytes * _EVICT_TO) if total > self.max_bytes else total
        for entry, size, _ in entries:
            if total - freed <= target:
                break
            try:
                entry.unlink()
            except FileNotFoundError:  # another process evicted it first
                pass
            freed += size
        self._estimate = total - freed
        return freed

    # -- internals ------------------------------------------------------------

    def _path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{_SUFFIX}"

    def _store_if_possible(self, entry: Path, data: bytes) -> bool:
        try:
            self._store(entry, data)
        except OSError as exc:  # read-only, full, immutable: serve it uncached
            self._unusable(exc)
            return False
        self._usable_again()
        return True

    def _unusable(self, exc: OSError) -> None:
        reason = f"{exc.strerror or exc} ({self.root})"
        with self._problem_lock:
            first = self._problem is None
            self._problem = reason
        if first:  # once per process, not once per request
            log.warning("Thumbnail cache %s is unusable: %s. Thumbnails are rendered for "
                        "every request and not kept until it is fixed "
                        "(DSA110_DASH_CACHE_DIR).", self.root, exc.strerror or exc)

    def _usable_again(self) -> None:
        with self._problem_lock:
            was, self._problem = self._problem, None
        if was is not None:
            log.warning("Thumbnail cache %s is usable again", self.root)

    def _store(self, entry: Path, data: bytes) -> None:
        entry.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_SUFFIX, dir=entry.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o644)  # mkstemp's 0600 would hide it from a web server user
                f.write(data)
            os.replace(tmp, entry)
            tmp = None
        finally:  # also on KeyboardInterrupt: never leave a partial file behind
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        if self._estimate is None:
            self.evict()
        else:
            self._estimate += len(data)
            if self._estimate > self.max_bytes:
                self.evict()

    @staticmethod
    def _touch(entry: Path) -> None:
        try:
            os.utime(entry)
        except OSError:  # evicted meanwhile, or a read-only cache: recency is best effort
            pass

    def _entries(self):
        """(path, size, mtime_ns) of every stored PNG."""
        for sub in self.root.iterdir():
            if not sub.is_dir():
                continue
            try:
                with os.scandir(sub) as it:
                    for item in it:
                        if item.name.endswith(_SUFFIX) and not item.name.startswith(_TMP_PREFIX):
                            try:
                                st = item.stat()
                            except FileNotFoundError:
                                continue
                            yield Path(item.path), st.st_size, st.st_mtime_ns
            except FileNotFoundError:
                continue

    def _remove_stale_temporaries(self) -> None:
        cutoff = time.time() - _STALE_TMP_SECONDS
        for tmp in self.root.glob(f"*/{_TMP_PREFIX}*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
            except FileNotFoundError:
                continue

    def _placeholder(self, path, params: RenderParams, reason: str) -> CachedPNG:
        data = placeholder_png(reason, params.size)
        return CachedPNG(data=data, etag=_placeholder_etag((str(path), -1, -1), params, reason),
                         from_cache=False, ok=False, reason=reason, in_cache=False)


@functools.cache
def _shared_cache(root: Path, max_bytes: int) -> ThumbnailCache:
    return ThumbnailCache(root, max_bytes)


def cache_for(settings: Settings) -> ThumbnailCache:
    """The thumbnail cache of ``settings`` (``<cache_dir>/thumbnails``): one object per
    process and directory, made on first use (after any fork)."""
    return _shared_cache(settings.effective_cache_dir / "thumbnails",
                         settings.thumbnail_cache_bytes)


def _placeholder_etag(identity, params: RenderParams, reason: str | None) -> str:
    blob = json.dumps(["placeholder", *identity, params.as_dict(), reason], sort_keys=True)
    return '"p-' + hashlib.sha256(blob.encode()).hexdigest()[:40] + '"'
