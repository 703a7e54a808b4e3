"""Stand-in thumbnails that say why the real one could not be made."""

from __future__ import annotations

import functools
import io
import logging
import os
import textwrap

from PIL import Image, ImageDraw, ImageFont

from dsa110_dashboard.errors import ImageReadError
from dsa110_dashboard.fits.render import RenderParams, render_params, render_png_params
from dsa110_dashboard.fits.stretch import DEFAULT_STRETCH

log = logging.getLogger(__name__)

_BACKGROUND = (48, 48, 52, 255)
_BORDER = (110, 110, 118, 255)
_TEXT = (235, 235, 235, 255)


@functools.lru_cache(maxsize=128)
def placeholder_png(reason: str, size: int = 512) -> bytes:
    """A ``size`` x ``size`` PNG with ``reason`` written on it (Pillow's built-in font).
    Kept per (reason, size): pages that refresh (the wall, /qa's worst images) ask for
    the same images' placeholders again, and each costs 4-8 ms of CPU."""
    size = render_params(size=size).size
    image = Image.new("RGBA", (size, size), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size - 1, size - 1), outline=_BORDER, width=max(1, size // 128))
    font = ImageFont.load_default()
    char_width = max(1.0, draw.textlength("abcdefghijklmnopqrstuvwxyz", font=font) / 26)
    margin = max(2, size // 16)
    lines = textwrap.wrap(reason, width=max(4, int((size - 2 * margin) / char_width))) or [""]
    line_height = max(1, int(font.getbbox("Ag")[3] * 1.4))
    lines = lines[: max(1, (size - 2 * margin) // line_height)]
    y = (size - line_height * len(lines)) // 2
    for line in lines:
        x = (size - draw.textlength(line, font=font)) // 2
        draw.text((x, y), line, fill=_TEXT, font=font)
        y += line_height
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_png_or_placeholder(path: str | os.PathLike[str], size: int = 512,
                              stretch: str = DEFAULT_STRETCH, cmap: str = "inferno", *,
                              percentile: tuple[float, float] | None = None,
                              limits: tuple[float, float] | None = None,
                              reduce: str = "max") -> tuple[bytes, bool, str | None]:
    """(png, ok, reason): the thumbnail, or a placeholder saying why there is none.

    Never raises for a bad file; still raises ``InvalidInputError`` for bad parameters.
    """
    params = render_params(size, stretch, cmap, percentile, limits, reduce)
    return render_or_placeholder(path, params)


def render_or_placeholder(path: str | os.PathLike[str],
                          params: RenderParams) -> tuple[bytes, bool, str | None]:
    try:
        return render_png_params(path, params), True, None
    except ImageReadError as exc:
        reason = exc.user_message
    # The one deliberate catch-all of the engine: whatever else a damaged or
    # exotic file makes a third-party reader raise, the page shows a placeholder
    # and the log keeps the traceback.
    except Exception as exc:  # noqa: BLE001
        reason = f"Unreadable image: {type(exc).__name__}: {exc}"
        log.warning("Thumbnail of %s failed unexpectedly", path, exc_info=True)
        return placeholder_png(reason, params.size), False, reason
    log.warning("No thumbnail for %s: %s", path, reason)
    return placeholder_png(reason, params.size), False, reason
