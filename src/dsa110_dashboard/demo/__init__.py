"""The demo dataset: a small, internally consistent pipeline dataset made from scratch.

``build_demo`` writes a new ``pipeline.sqlite3`` (created by the migrations), FITS
images rendered from a synthetic sky, job log files and ``demo_truth.json``. Every
number in the database was measured from the pixels of the images it names. Data layer
only: nothing here knows Panel.
"""

from .build import DemoSummary, build_demo

__all__ = ["DemoSummary", "build_demo"]
