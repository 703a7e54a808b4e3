"""The noise an image should reach: the reference line of the QA page's noise plot.

science.md gives the typical 5-minute image noise (~300 uJy/beam over the full band of
187.5 MHz). Thermal noise scales as 1/sqrt(integration time x bandwidth), so an image's
expected noise is that figure scaled by its own integration and bandwidth; an image that
records neither has no expected noise (NaN), never a guess.
"""

from __future__ import annotations

import numpy as np

TYPICAL_NOISE_MJY = 0.3
TYPICAL_INTEGRATION_SEC = 300.0
TYPICAL_BANDWIDTH_MHZ = 187.5


def expected_noise_mjy(integration_sec, bandwidth_mhz) -> np.ndarray:
    """Expected image noise (mJy/beam) per image; NaN where either value is unknown or
    not positive."""
    t = np.asarray(integration_sec, float)
    bw = np.asarray(bandwidth_mhz, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = TYPICAL_NOISE_MJY * np.sqrt(TYPICAL_INTEGRATION_SEC / t) \
            * np.sqrt(TYPICAL_BANDWIDTH_MHZ / bw)
    return np.where((t > 0) & (bw > 0) & np.isfinite(out), out, np.nan)
