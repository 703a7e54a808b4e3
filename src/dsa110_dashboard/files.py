"""File paths from the database, confined to the configured data roots.

The dashboard serves and reads only files that the database registers, and only when
they resolve (symlinks followed) to a place under one of ``Settings.effective_data_roots``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .errors import ForbiddenPathError, NotFoundError


def confined(raw: str | os.PathLike[str], roots: Sequence[Path], *,
             must_exist: bool = True) -> Path:
    """The resolved path of ``raw`` if it lies under one of ``roots``.

    Raises ForbiddenPathError when it does not (a relative path, ``..`` escaping, a
    symlink pointing elsewhere), and NotFoundError when ``must_exist`` and it is missing.
    """
    path = Path(raw)
    if not path.is_absolute():
        raise ForbiddenPathError(f"{raw!s} is not an absolute path")
    real = Path(os.path.realpath(path))
    for root in roots:
        real_root = Path(os.path.realpath(root))
        if real == real_root or real.is_relative_to(real_root):
            if must_exist and not real.exists():
                raise NotFoundError(f"file {raw!s} does not exist")
            return real
    raise ForbiddenPathError(
        f"{raw!s} is outside the configured data roots (DSA110_DASH_DATA_ROOTS)")
