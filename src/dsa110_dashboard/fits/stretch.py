"""Display intervals (which values map to black and white) and stretches.

A stretch name picks both: ``zscale_*`` use the IRAF ZScale interval with
contrast 0.2 (the pipeline's quicklook convention); the plain ones use the
1st-99.5th percentile interval (the old batch thumbnails) unless the caller
gives ``percentile=(lo, hi)`` or explicit ``limits=(vmin, vmax)``, which
override the interval of any stretch. Every stretch maps [0, 1] onto [0, 1]
monotonically; the curves follow astropy.visualization's defaults
(log a=1000, asinh a=0.1) so the same image looks the same in both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from dsa110_dashboard.errors import InvalidInputError

STRETCHES: tuple[str, ...] = ("linear", "sqrt", "log", "asinh", "zscale_asinh", "zscale_linear")
DEFAULT_PERCENTILE = (1.0, 99.5)
ZSCALE_CONTRAST = 0.2
_LOG_A = 1000.0
_ASINH_A = 0.1


def check_stretch(name: object) -> str:
    if isinstance(name, str) and name.lower() in STRETCHES:
        return name.lower()
    raise InvalidInputError(
        f"stretch must be one of {', '.join(STRETCHES)}; got {name!r}", parameter="stretch"
    )


def check_pair(value: object, parameter: str, *, lo: float = -math.inf,
               hi: float = math.inf) -> tuple[float, float] | None:
    """Validate an optional (low, high) pair of finite numbers, low < high."""
    if value is None:
        return None
    try:
        if isinstance(value, (str, bytes)) or len(value) != 2:  # type: ignore[arg-type]
            raise TypeError
        a, b = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise InvalidInputError(f"{parameter} must be two numbers (low, high); got {value!r}",
                                parameter=parameter) from None
    if not (math.isfinite(a) and math.isfinite(b) and lo <= a < b <= hi):
        raise InvalidInputError(
            f"{parameter} must satisfy {lo:g} <= low < high <= {hi:g}; got {value!r}",
            parameter=parameter)
    return (a, b)


def interval(values: np.ndarray, stretch: str, percentile: Sequence[float] | None = None,
             limits: Sequence[float] | None = None) -> tuple[float, float]:
    """(vmin, vmax) for ``values`` (any shape, NaN allowed) under the rules above."""
    if limits is not None:
        return float(limits[0]), float(limits[1])
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    if percentile is None and stretch.startswith("zscale"):
        from astropy.visualization import ZScaleInterval  # 0.25 s import, only when used

        vmin, vmax = ZScaleInterval(contrast=ZSCALE_CONTRAST).get_limits(finite)
    else:
        lo, hi = percentile if percentile is not None else DEFAULT_PERCENTILE
        vmin, vmax = np.percentile(finite, [lo, hi])
    return float(vmin), float(vmax)


def normalise(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Map [vmin, vmax] to [0, 1], clipping; NaN stays NaN."""
    span = vmax - vmin
    if not span > 0:
        span = 1.0  # constant image: everything at the bottom of the colormap
    out = (values.astype(np.float32) - np.float32(vmin)) * np.float32(1.0 / span)
    return np.clip(out, 0.0, 1.0, out=out)


def apply_stretch(x: np.ndarray, stretch: str) -> np.ndarray:
    """Stretch normalised values in [0, 1] (float32, modified in place when possible)."""
    kind = stretch.removeprefix("zscale_")
    if kind == "linear":
        return x
    if kind == "sqrt":
        return np.sqrt(x, out=x)
    if kind == "log":
        return np.log1p(x * np.float32(_LOG_A)) * np.float32(1.0 / math.log1p(_LOG_A))
    if kind == "asinh":
        return np.arcsinh(x * np.float32(1.0 / _ASINH_A)) * np.float32(1.0 / math.asinh(1.0 / _ASINH_A))
    raise InvalidInputError(f"unknown stretch {stretch!r}", parameter="stretch")
