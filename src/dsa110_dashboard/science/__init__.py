"""Science computations on photometry: pure numpy, no database, no Panel."""

from .twoepoch import (
    TWO_EPOCH_M_THRESHOLD,
    TWO_EPOCH_VS_THRESHOLD,
    max_two_epoch,
)
from .variability import (
    FLUX_COLUMNS,
    STAT_COLUMNS,
    compute_stats,
    lightcurve_stats,
    select_best_flux,
)

__all__ = ["FLUX_COLUMNS", "STAT_COLUMNS", "TWO_EPOCH_M_THRESHOLD",
           "TWO_EPOCH_VS_THRESHOLD", "compute_stats", "lightcurve_stats", "max_two_epoch",
           "select_best_flux"]
