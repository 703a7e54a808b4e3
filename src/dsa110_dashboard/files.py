"""File paths from the database, confined to the configured data roots.

The dashboard serves and reads only files that the database registers, and only when
they resolve (symlinks and ``..`` followed) to a place under one of the data roots and
are not among the files it never serves: its own database files (with their ``-wal``,
``-shm`` and ``-journal`` companions), the sign-in store, the users file and the cache,
whatever the roots say. Where a path is shown to someone who has not signed in it is shown relative
to its data root, or as its bare file name (``shown``, ``scrub``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ForbiddenPathError, ImageReadError, NeverServedError, NotFoundError

if TYPE_CHECKING:
    from .db.target import DatabaseTarget
    from .settings import Settings

#: The companions SQLite keeps beside a database file.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")

# A run of characters that may be an absolute path inside a message: it starts with "/"
# right after a space, a quote or the start, and ends at whitespace, a quote or a bracket.
_ABSOLUTE = re.compile(r"(?<![\w./:~-])/[^\s'\"`<>|,;()\[\]{}]+")


def sqlite_files(path: Path) -> tuple[Path, ...]:
    """A SQLite database file and the companion files SQLite writes beside it."""
    return tuple(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)


@functools.cache
def _top_level_names() -> frozenset[str]:
    """The entries of the file system's root: what an absolute path here starts with."""
    try:
        return frozenset(os.listdir("/"))
    except OSError:
        return frozenset()


@dataclass(frozen=True)
class DataRoots:
    """Where registered files may be read from, and what is never served from there."""

    roots: tuple[Path, ...]
    #: Files and directories never served, even under a root.
    never: tuple[Path, ...] = ()

    @classmethod
    def of(cls, roots: Iterable[Path], never: Iterable[Path] = ()) -> DataRoots:
        return cls(tuple(Path(r) for r in roots), tuple(Path(n) for n in never))

    @classmethod
    def for_server(cls, settings: Settings, target: DatabaseTarget) -> DataRoots:
        """``DSA110_DASH_DATA_ROOTS``, by default the data and state directories and the
        folder of the database file; never the database, sign-in store, users file or
        cache."""
        roots = list(settings.effective_data_roots)
        if not settings.data_roots and target.sqlite_path is not None:
            roots.append(target.sqlite_path.parent)
        never = never_served(
            [target.sqlite_path, target.cal_registry_path, settings.auth_db_file],
            [settings.effective_cache_dir, settings.users_file])
        return cls.of(roots, never)

    # ---------------------------------------------------------------- confinement
    def confine(self, raw: str | os.PathLike[str], *, must_exist: bool = True) -> Path:
        """The resolved path of ``raw`` if it may be served.

        ForbiddenPathError: not absolute, or outside every root (``..``, a symlink
        pointing elsewhere); NeverServedError: one of the dashboard's own files.
        ImageReadError: a path no file can have (a NUL byte) or one that cannot be
        resolved (a symlink loop). NotFoundError when ``must_exist`` and it is missing.
        Confinement is decided before anything reveals whether the file exists.
        """
        text = os.fspath(raw)
        if "\0" in text:
            raise ImageReadError(
                f"Invalid path: the registered path {text.split(chr(0))[0]!s}… holds a NUL "
                "byte, which no file name can contain")
        path = Path(text)
        if not path.is_absolute():
            raise ForbiddenPathError(f"{text} is not an absolute path")
        real = Path(os.path.realpath(path))  # not strict: a loop stays unresolved here
        if self.root_of(real) is None:
            raise ForbiddenPathError(
                f"{text} is outside the configured data roots (DSA110_DASH_DATA_ROOTS)")
        if self._never_served(real):
            raise NeverServedError(
                f"{text} is one of the dashboard's own files (database, sign-in store, "
                "users file or cache), which are never served")
        if must_exist:
            try:
                os.stat(real)
            except (FileNotFoundError, NotADirectoryError):
                raise NotFoundError(f"file {text} does not exist") from None
            except OSError as exc:  # a symlink loop (ELOOP), a name too long, no access
                raise ImageReadError(f"File unreadable: {exc.strerror} ({text})") from None
        return real

    def root_of(self, real: Path) -> Path | None:
        """The (resolved) root that ``real`` lies under, or None."""
        for root in self.roots:
            real_root = Path(os.path.realpath(root))
            if real == real_root or real.is_relative_to(real_root):
                return real_root
        return None

    def _never_served(self, real: Path) -> bool:
        for item in self.never:
            own = Path(os.path.realpath(item))
            if real == own or real.is_relative_to(own):
                return True
        try:  # the same file under another name (a hard link)
            st = os.stat(real)
        except OSError:
            return False
        for item in self.never:
            try:
                if os.path.samestat(st, os.stat(item)):
                    return True
            except OSError:
                continue
        return False

    # ------------------------------------------------------------------ showing
    def shown(self, path: str | os.PathLike[str]) -> str:
        """``path`` as someone not signed in may see it: relative to its data root,
        else its file name."""
        text = os.fspath(path)
        for root in self._prefixes():
            if text == root:
                return Path(root).name
            if text.startswith(root.rstrip("/") + "/"):
                return text[len(root.rstrip("/")) + 1:]
        return Path(text).name

    def scrub(self, text: str) -> str:
        """``text`` with every absolute server path in it shown as ``shown`` shows it."""
        prefixes = self._prefixes()
        top = _top_level_names()

        def replace(match: re.Match) -> str:
            token = match.group(0)
            candidate = token.rstrip(".:")
            tail = token[len(candidate):]
            first = candidate.split("/", 2)[1]
            if first in top or any(candidate.startswith(p) for p in prefixes):
                return self.shown(candidate) + tail
            return token  # not a path on this machine: a URL path such as /login

        return _ABSOLUTE.sub(replace, text)

    def _prefixes(self) -> list[str]:
        """Every root as configured and as resolved, longest first."""
        found = {str(root) for root in self.roots}
        found |= {os.path.realpath(root) for root in self.roots}
        return sorted(found, key=len, reverse=True)


def never_served(database_files: Sequence[Path | None], others: Sequence[Path | None]
                 ) -> tuple[Path, ...]:
    """The database files with their SQLite companions, and ``others`` as they are."""
    out: list[Path] = []
    for path in database_files:
        if path is not None:
            out.extend(sqlite_files(path))
    out.extend(p for p in others if p is not None)
    return tuple(out)
