"""DSA-110 continuum pipeline dashboard.

In a notebook (decision 0069)::

    import dsa110_dashboard as dd
    db = dd.connect("/data/dsa110-contimg/state/db/pipeline.sqlite3")
    db.images.list(types="5min")            # a DataFrame
    db.sources.lightcurve("NVSS J...")      # an astropy QTable: Time, mJy
    dd.extension()                          # pn.extension("tabulator")
    dd.SourceView("NVSS J...")              # the source page's view, inline

Importing the package imports nothing else: the names below are looked up on first use
(module ``__getattr__``), so ``connect`` costs SQLAlchemy and astropy, and Panel is
imported only when a view is asked for.
"""

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "connect": "dsa110_dashboard.jupyter.connection",
    "current": "dsa110_dashboard.jupyter.connection",
    "Connection": "dsa110_dashboard.jupyter.connection",
    "extension": "dsa110_dashboard.jupyter.views",
    "ImageBrowser": "dsa110_dashboard.jupyter.views",
    "ImageView": "dsa110_dashboard.jupyter.views",
    "SourceView": "dsa110_dashboard.jupyter.views",
    "EtaVPlot": "dsa110_dashboard.jupyter.views",
    "QAView": "dsa110_dashboard.jupyter.views",
    "JobsView": "dsa110_dashboard.jupyter.views",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dsa110_dashboard' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
