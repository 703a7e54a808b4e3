"""Serializing a page's document: Bokeh's own query of each model's values against
views/serialization.py's (decision 0091), in the same process, on the same document.

The document is /qa's (its view with the open section's plots, as the browser pulls
it) over the 7 days ending at the latest image of a one-year scale database
(``--db``; by default bench_queries' SQLite file if present, else a small scale
database built in a temporary directory), light and dark. Per theme it prints the
median of ``--runs`` calls of ``Document.to_json`` each way and the ratio; it checks
that both give the same JSON, and measures, it does not assert.

Run: python benchmarks/bench_serialization.py [--db FILE_OR_URL] [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench_pages

import panel as pn
from bokeh.document import Document

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.images import ImageRepository
from dsa110_dashboard.science.times import unix_to_mjd
from dsa110_dashboard.settings import Settings
from dsa110_dashboard.viewmodels.qa import QAModel
from dsa110_dashboard.views import serialization
from dsa110_dashboard.views.qa import QAPageView


def qa_document(db: Database, theme: str) -> Document:
    end = unix_to_mjd(float(ImageRepository(db).latest().created_at))
    model = QAModel(db, start=f"{end - 7:.5f}", end=f"{end:.5f}")
    doc = Document()
    if theme == "dark":
        doc.theme = pn.theme.DarkTheme.param.bokeh_theme.default
    doc.add_root(pn.Column(QAPageView(model=model)).get_root(doc))
    return doc


def median_ms(doc: Document, runs: int) -> tuple[float, str]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = doc.to_json(deferred=False)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), json.dumps(out, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a scale database (SQLite file or URL)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        target = args.db or (str(bench_pages.DEFAULT_SCALE_DB)
                             if bench_pages.DEFAULT_SCALE_DB.exists()
                             else str(bench_pages.small_scale_db(Path(tmp))))
        settings = Settings.load(environ={"DSA110_DASH_DB": target,
                                          "DSA110_DASH_READ_ONLY": "true",
                                          "DSA110_DASH_DATA_DIR": tmp,
                                          "DSA110_DASH_CACHE_DIR": tmp})
        db = Database(settings)
        try:
            print(f"/qa's document (7 days) on {db.describe()}")
            print(f"{'theme':8s} {'models':>6s} {'Bokeh ms':>9s} {'ours ms':>8s} "
                  f"{'ratio':>6s}  same JSON")
            for theme in ("default", "dark"):
                doc = qa_document(db, theme)
                if not serialization.install():
                    print("serialization.install refused: not the Bokeh it was checked "
                          "against")
                    return 1
                # Ours first: the document as nothing has serialized it yet.
                ours_ms, ours_json = median_ms(doc, args.runs)
                serialization.uninstall()
                bokeh_ms, bokeh_json = median_ms(doc, args.runs)
                serialization.install()
                print(f"{theme:8s} {len(doc.models):6d} {bokeh_ms:9.1f} {ours_ms:8.1f} "
                      f"{bokeh_ms / ours_ms:5.1f}x  {ours_json == bokeh_json}")
        finally:
            db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
