"""The colour scale of a rendering in words: for the image page, a PNG text chunk and
the thumbnail endpoint's ``X-Thumbnail-Scale`` header.

A record is a plain dict (JSON in the PNG): ``stretch``, ``unit`` (the image's BUNIT),
``vmin``/``vmax`` and, for noise_asinh, ``background``, ``noise`` and ``softening``,
all in the image's unit. People read Jy/beam images in mJy/beam.
"""

from __future__ import annotations

import io
import json
import math

from PIL import Image

from dsa110_dashboard.fits.stretch import Scale
from dsa110_dashboard.science.numbers import format_number

#: The PNG text chunk holding the scale (JSON).
SCALE_CHUNK = "dsa110-scale"


def scale_record(scale: Scale, stretch: str, header) -> dict:  # noqa: ANN001 - fits.Header
    """What a rendering's scale was, for people: limits (and noise) in the image's unit."""
    record = {"stretch": stretch, "unit": str(header.get("BUNIT", "") or "").strip(),
              "vmin": scale.vmin, "vmax": scale.vmax}
    if scale.noise is not None:
        record.update(background=scale.background, noise=scale.noise,
                      softening=scale.softening)
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None)
            for k, v in record.items()}


def limits_text(record: dict) -> str:
    """'−0.618 to 208 mJy/beam (background 0.000, σ 0.309)' (Jy/beam shown in
    mJy/beam), or in the image's own unit; small values to the noise's precision."""
    if record.get("vmin") is None or record.get("vmax") is None:
        return "unknown"
    factor, unit = _display_unit(record.get("unit") or "")
    noise = record.get("noise")
    decimals = None
    if noise:
        decimals = max(0, 2 - math.floor(math.log10(abs(noise * factor))))

    def number(key: str, fixed: bool = True) -> str:
        value = record.get(key)
        if value is None:
            return "unknown"
        if decimals is not None and (fixed or abs(value * factor) < 10 ** (3 - decimals)):
            text = f"{value * factor:.{decimals}f}"
            text = "0" + text[2:] if text.startswith("-0") and not text.strip("-0.") else text
        else:
            text = f"{value * factor:.3g}"
        return text.replace("-", "−")

    text = f"{number('vmin')} to {number('vmax', fixed=False)} {unit}"
    if noise is not None:
        text += f" (background {number('background')}, σ {number('noise')})"
    return text


def png_scale(data: bytes) -> dict | None:
    """The scale a PNG of ``render_png`` was drawn with (reads only its header chunks)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            text = image.info.get(SCALE_CHUNK)
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def header_value(record: dict) -> str:
    """``stretch=noise_asinh; vmin=-0.112; vmax=219.8; unit=mJy/beam; background=0.286;
    sigma=0.199``: ASCII, for an HTTP header."""
    factor, unit = _display_unit(record.get("unit") or "")
    parts = [f"stretch={record.get('stretch')}"]
    parts += [f"{key}={_number(record.get(key), factor)}" for key in ("vmin", "vmax")]
    parts.append(f"unit={unit}")
    if record.get("noise") is not None:
        parts += [f"background={_number(record.get('background'), factor)}",
                  f"sigma={_number(record.get('noise'), factor)}"]
    return "; ".join(parts)


def _display_unit(unit: str) -> tuple[float, str]:
    """(factor, unit shown): Jy/beam (or no unit, as the pipeline writes) -> mJy/beam."""
    return (1e3, "mJy/beam") if unit.lower() in ("jy/beam", "") else (1.0, unit)


def _number(value: float | None, factor: float) -> str:
    # A header is ASCII: "unknown" where pages show "—".
    return format_number(value, ".4g", scale=factor, missing="unknown")
