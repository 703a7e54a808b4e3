"""DSA-110 continuum pipeline dashboard."""

__version__ = "0.1.0"
