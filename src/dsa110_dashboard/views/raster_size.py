"""When a plot's rastered bulk must be drawn again for the frame the browser reports.

The browser stretches a bulk image over its frame (it is placed in data units), so an
image drawn for a first guess of the frame's size is shown as it is unless one image
pixel would cover more than ``RESAMPLE_FACTOR`` screen pixels, or fewer than its inverse
(decision 0080). Redrawing at the first render costs a second image and a round trip:
seconds on a loaded machine. Used by the eta-V plot and the QA trend plots.
"""

from __future__ import annotations

RESAMPLE_FACTOR = 1.3


def needs_resample(image_px: tuple[int, int], frame_px: tuple[int, int]) -> bool:
    """Whether an image of ``image_px`` stretched over a frame of ``frame_px`` is too
    coarse or too fine (a side's screen pixels per image pixel beyond
    ``RESAMPLE_FACTOR`` or its inverse)."""
    return any(not (1 / RESAMPLE_FACTOR <= f / i <= RESAMPLE_FACTOR)
               for i, f in zip(image_px, frame_px) if i > 0 and f > 0)


def reported(frame_px: tuple[int, int], attr: str, new) -> tuple[int, int]:
    """The frame's size once the browser has reported one side of it (``inner_width`` or
    ``inner_height``: one at a time, both in one message at the first render)."""
    width, height = frame_px
    return (int(new), height) if attr == "inner_width" else (width, int(new))
