"""Display scales (which values map to black and white, and the curve between) and stretches.

A stretch name picks both the interval and the curve:

- ``noise_asinh`` (the default quicklook): limits from the image's own noise. The
  background level and the noise are the median and 1.4826 x MAD of the pixels; the
  scale runs from 2 sigma below the background to the 99.5th percentile of the
  *emission* (pixels above background + 5 sigma; at least background + 10 sigma),
  through an asinh softened at 2 sigma: linear within the noise, logarithmic for the
  sources. The background sits low in the scale and the bright sources near the top
  whatever the dynamic range, where ZScale (tuned for optical images, in which most
  pixels are sky) puts a radio image's noise in the middle of the scale.
- ``zscale_*`` use the IRAF ZScale interval with contrast 0.2 (the pipeline's own
  quicklook convention);
- the plain ones use the 1st-99.5th percentile interval (the old batch thumbnails).

``percentile=(lo, hi)`` or explicit ``limits=(vmin, vmax)`` override the interval of
any stretch. Every curve maps [0, 1] onto [0, 1] monotonically; the fixed ones follow
astropy.visualization's defaults (log a=1000, asinh a=0.1) so the same image looks the
same in both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dsa110_dashboard.errors import InvalidInputError

DEFAULT_STRETCH = "noise_asinh"
STRETCHES: tuple[str, ...] = (DEFAULT_STRETCH, "zscale_asinh", "zscale_linear", "linear",
                              "sqrt", "log", "asinh")
DEFAULT_PERCENTILE = (1.0, 99.5)
ZSCALE_CONTRAST = 0.2
MAD_TO_SIGMA = 1.4826
#: noise_asinh: the black level and the asinh softening, in sigma of the noise.
NOISE_FLOOR_SIGMA = 2.0
NOISE_SOFTENING_SIGMA = 2.0
#: noise_asinh: pixels this far above the background are emission ...
EMISSION_SIGMA = 5.0
#: ... of which this percentile is white; never below background + NOISE_CEILING_SIGMA.
EMISSION_PERCENTILE = 99.5
NOISE_CEILING_SIGMA = 10.0
#: Fewer emission pixels than this: the ceiling alone (a blank field is all noise).
MIN_EMISSION_PIXELS = 10
_LOG_A = 1000.0
_ASINH_A = 0.1


@dataclass(frozen=True)
class Scale:
    """How values become grey levels: [vmin, vmax] onto [0, 1], then the stretch.

    ``softening`` (noise_asinh only) is the asinh's linear-to-log knee in data units;
    ``background`` and ``noise`` are the estimates it came from, when it did.
    """

    vmin: float
    vmax: float
    softening: float | None = None
    background: float | None = None
    noise: float | None = None

    @property
    def limits(self) -> tuple[float, float]:
        return (self.vmin, self.vmax)


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


def robust_noise(values: np.ndarray) -> tuple[float, float] | None:
    """(background, sigma): median and 1.4826 x MAD of the finite values; None when
    there are too few of them or they do not vary."""
    finite = values[np.isfinite(values)]
    if finite.size < 10:
        return None
    background = float(np.median(finite))
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(finite - background)))
    if not (sigma > 0 and math.isfinite(sigma)):
        return None
    return background, sigma


def scale_for(values: np.ndarray, stretch: str, percentile: Sequence[float] | None = None,
              limits: Sequence[float] | None = None,
              noise: tuple[float, float] | None = None) -> Scale:
    """The Scale for ``values`` (any shape, NaN allowed) under the rules above.

    ``noise`` = (background, sigma) measured elsewhere (e.g. on full-resolution pixels
    while ``values`` are max-pooled) replaces the estimate from ``values`` for
    noise_asinh.
    """
    finite = values[np.isfinite(values)]
    if stretch == DEFAULT_STRETCH:
        noise = noise or robust_noise(finite)
        if noise is not None:
            background, sigma = noise
            softening = NOISE_SOFTENING_SIGMA * sigma
            if limits is not None:
                return Scale(float(limits[0]), float(limits[1]), softening, background, sigma)
            if percentile is not None:
                vmin, vmax = _percentiles(finite, percentile)
                return Scale(vmin, vmax, softening, background, sigma)
            return Scale(background - NOISE_FLOOR_SIGMA * sigma,
                         _emission_ceiling(finite, background, sigma), softening,
                         background, sigma)
    if limits is not None:
        return Scale(float(limits[0]), float(limits[1]))
    if finite.size == 0:
        return Scale(0.0, 1.0)
    if percentile is None and stretch.startswith("zscale"):
        from astropy.visualization import ZScaleInterval  # 0.25 s import, only when used

        vmin, vmax = ZScaleInterval(contrast=ZSCALE_CONTRAST).get_limits(finite)
        return Scale(float(vmin), float(vmax))
    return Scale(*_percentiles(finite, percentile or DEFAULT_PERCENTILE))


def interval(values: np.ndarray, stretch: str, percentile: Sequence[float] | None = None,
             limits: Sequence[float] | None = None) -> tuple[float, float]:
    """(vmin, vmax) of ``scale_for``."""
    return scale_for(values, stretch, percentile, limits).limits


def _percentiles(finite: np.ndarray, percentile: Sequence[float]) -> tuple[float, float]:
    if finite.size == 0:
        return 0.0, 1.0
    vmin, vmax = np.percentile(finite, [percentile[0], percentile[1]])
    return float(vmin), float(vmax)


def _emission_ceiling(finite: np.ndarray, background: float, sigma: float) -> float:
    floor = background + NOISE_CEILING_SIGMA * sigma
    emission = finite[finite > background + EMISSION_SIGMA * sigma]
    if emission.size < MIN_EMISSION_PIXELS:
        return floor
    return max(floor, float(np.percentile(emission, EMISSION_PERCENTILE)))


def normalise(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Map [vmin, vmax] to [0, 1], clipping; NaN stays NaN."""
    span = vmax - vmin
    if not span > 0:
        span = 1.0  # constant image: everything at the bottom of the colormap
    out = (values.astype(np.float32) - np.float32(vmin)) * np.float32(1.0 / span)
    return np.clip(out, 0.0, 1.0, out=out)


def apply_scale(values: np.ndarray, scale: Scale, stretch: str) -> np.ndarray:
    """Values -> [0, 1] float32 (NaN stays NaN) through ``scale`` and the stretch."""
    x = normalise(values, scale.vmin, scale.vmax)
    span = scale.vmax - scale.vmin
    soft = scale.softening / span if scale.softening and span > 0 else None
    return apply_stretch(x, stretch, soft)


def apply_stretch(x: np.ndarray, stretch: str, softening: float | None = None) -> np.ndarray:
    """Stretch normalised values in [0, 1] (float32, modified in place when possible).

    ``softening`` is noise_asinh's knee as a fraction of the scale (default: the one
    of ``asinh``, 0.1).
    """
    if stretch == DEFAULT_STRETCH:
        return _asinh(x, softening if softening and softening > 0 else _ASINH_A)
    kind = stretch.removeprefix("zscale_")
    if kind == "linear":
        return x
    if kind == "sqrt":
        return np.sqrt(x, out=x)
    if kind == "log":
        return np.log1p(x * np.float32(_LOG_A)) * np.float32(1.0 / math.log1p(_LOG_A))
    if kind == "asinh":
        return _asinh(x, _ASINH_A)
    raise InvalidInputError(f"unknown stretch {stretch!r}", parameter="stretch")


def _asinh(x: np.ndarray, a: float) -> np.ndarray:
    return np.arcsinh(x * np.float32(1.0 / a)) * np.float32(1.0 / math.asinh(1.0 / a))
