"""``dsa110-dash serve``: run the dashboard server from its composition root ``app.py``."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from ..db import migrate
from ..db.engine import Database
from ..errors import ConfigError, DatabaseUnavailableError
from ..settings import Settings

CHECKOUT_ROOT = Path(__file__).resolve().parents[3]
#: Where a wheel carries its copy of app.py, dashboards/ and assets/ (setup.py, decision 0041).
PACKAGED_APP = Path(__file__).resolve().parents[1] / "webapp" / "app.py"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve", help="serve the dashboard (default http://127.0.0.1:5006)",
        description="Serve the dashboard pages and JSON API on the database that the "
                    "settings resolve to (see `dsa110-dash config show`).")
    parser.add_argument("--port", help="HTTP port (DSA110_DASH_PORT)")
    parser.add_argument("--address", help="listen address (DSA110_DASH_ADDRESS)")
    parser.add_argument("--num-procs", help="server processes (DSA110_DASH_NUM_PROCS)")
    parser.add_argument("--num-threads", help="worker threads (DSA110_DASH_NUM_THREADS)")
    parser.add_argument("--allow-websocket-origin",
                        help="comma-separated origins (DSA110_DASH_ALLOW_WEBSOCKET_ORIGIN)")
    parser.set_defaults(handler=_serve, setting_overrides=lambda a: {
        "port": a.port, "address": a.address, "num_procs": a.num_procs,
        "num_threads": a.num_threads, "allow_websocket_origin": a.allow_websocket_origin})


def app_path() -> Path:
    """The ``app.py`` to serve: DSA110_DASH_APP, else the checkout's (an editable
    install), else the copy inside the installed wheel."""
    if os.environ.get("DSA110_DASH_APP"):
        return Path(os.environ["DSA110_DASH_APP"])
    checkout_app = CHECKOUT_ROOT / "app.py"
    if (CHECKOUT_ROOT / "pyproject.toml").is_file() and checkout_app.is_file():
        return checkout_app
    return PACKAGED_APP


def load_app(path: Path | None = None) -> ModuleType:
    """Import the composition root ``app.py`` (``path``, else the one ``app_path`` finds)."""
    path = path or app_path()
    if not path.is_file():
        raise ConfigError(f"DSA110_DASH_APP: {path} not found; point DSA110_DASH_APP at "
                          "the dashboard's app.py, or install the dashboard from a wheel "
                          "or a source checkout (pip install -e .)")
    name = "dsa110_dashboard_app"
    if name in sys.modules and Path(sys.modules[name].__file__) == path:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses in app.py look their module up here
    spec.loader.exec_module(module)
    return module


def preflight(settings: Settings) -> None:
    """Refuse to start on something that is not a pipeline database, with the fix."""
    db = Database(settings)
    report = migrate.check(db)
    db.dispose()
    if not report.reachable:
        raise DatabaseUnavailableError(report.error)
    if not report.is_pipeline:
        raise DatabaseUnavailableError(
            f"{db.target.display()} is not a pipeline database (no ms_index, images and "
            "photometry tables); create one with `dsa110-dash db upgrade` or point "
            "DSA110_DASH_DB / PIPELINE_DB at one")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    preflight(settings)
    load_app().serve(settings)
    return 0
