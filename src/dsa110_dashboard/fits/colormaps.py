"""Colormaps as 256 x 4 uint8 RGBA lookup tables (no matplotlib at run time)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.fits._colormap_data import HEX_TABLES

COLORMAPS: tuple[str, ...] = ("grey", *HEX_TABLES)
_ALIASES = {"gray": "grey", "greys": "grey"}


def check_cmap(name: object) -> str:
    """Return the canonical colormap name or raise ``InvalidInputError``."""
    if isinstance(name, str):
        canonical = _ALIASES.get(name.lower(), name.lower())
        if canonical in COLORMAPS:
            return canonical
    raise InvalidInputError(
        f"cmap must be one of {', '.join(COLORMAPS)}; got {name!r}", parameter="cmap"
    )


@lru_cache(maxsize=None)
def lookup_table(name: str) -> np.ndarray:
    """The read-only 256 x 4 RGBA table of colormap ``name`` (alpha 255)."""
    name = check_cmap(name)
    if name == "grey":
        rgb = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    else:
        rgb = np.frombuffer(bytes.fromhex(HEX_TABLES[name]), dtype=np.uint8).reshape(256, 3)
    table = np.empty((256, 4), dtype=np.uint8)
    table[:, :3] = rgb
    table[:, 3] = 255
    table.setflags(write=False)
    return table
