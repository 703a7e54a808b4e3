"""Speed of the dashboard's core queries on a one-year-scale database.

Builds (or reuses, when it exists and is complete) a scale database on SQLite - a file
under the data directory - and on PostgreSQL, then prints the median of several runs
of each query, after one warm-up run, beside the 50 ms target:
  (a) an image page: 50 rows, filtered (type 5min, noise <= 10 mJy), sorted by
      created_at, with its total (ImageRepository.page);
  (b) the lightcurve of one source (LightcurveRepository.lightcurve);
  (c) a cone search of 1 deg radius, first page (SourceRepository.cone);
  (d) the overview counts, cold (cache cleared) and cached (StatsRepository);
  (e) the /images QA-grade filter as the page asks it: 50 rows in observation-time order
      with the total, for a rare grade (marginal) and a common one (good, excellent);
  (f) an /images page change: page 2 and page 100 of the unfiltered default view
      (observation time, newest first), with the total.
And, in the same process, baselines that give the ratios a meaning: a plain
``SELECT count(*) FROM photometry``, a naive ``SELECT * FROM images ORDER BY
created_at DESC LIMIT 50 OFFSET 0`` and the raw photometry rows of the source.
It measures, it does not assert.

Run:
  python benchmarks/bench_queries.py --small            # quick check (~1 min)
  python benchmarks/bench_queries.py                    # one year: builds once, ~4 min
                                                        # on SQLite, longer on PostgreSQL
Options: --images/--sources/--epochs (scale), --backends sqlite,postgresql,
--data-dir (env DSA110_BENCH_DIR, default benchmarks/.data), --pg-url (env
DSA110_BENCH_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/dsa110_bench),
--sqlite-db FILE (an existing one-year SQLite database from `dsa110-dash scale-db`, used as
it is), --runs, --rebuild. A database without our image summary (revision 0007) is
upgraded and its QA grades indexed first, as `dsa110-dash image-summary` would.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.repositories.lightcurves import LightcurveRepository
from dsa110_dashboard.repositories.sources import SourceRepository
from dsa110_dashboard.repositories.stats import StatsRepository
from dsa110_dashboard.scale import ONE_YEAR, SMALL, fill_database
from dsa110_dashboard.settings import Settings

HERE = Path(__file__).resolve().parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/dsa110_bench"
TARGET_MS = 50.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_db(target: str) -> Database:
    return Database(Settings.load(environ={"DSA110_DASH_DB": target,
                                           "DSA110_DASH_READ_ONLY": "false"}))


def progress_printer() -> Callable[[int, int, str], None]:
    last = [0.0]

    def report(done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if what == "images":
            return
        if total == 0 or now - last[0] > 10 or done == total:
            last[0] = now
            log(f"    {what}: {done:,}/{total:,}" if total else f"    {what}")

    return report


# ------------------------------------------------------------------- building
def is_complete(db: Database, images: int, sources: int) -> bool:
    """Rows as asked, photometry indexes rebuilt and statistics gathered (the last
    steps of a fill), so an interrupted build is never reused."""
    catalog = db.refresh_catalog()
    if not all(catalog.has_table(t) for t in ("images", "variability_stats", "photometry")):
        return False
    with db.connect() as conn:
        n_img = conn.execute(sa.text("SELECT count(*) FROM images")).scalar_one()
        n_src = conn.execute(sa.text("SELECT count(*) FROM variability_stats")).scalar_one()
        indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("photometry")}
        if db.dialect == "sqlite":
            analysed = conn.execute(sa.text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar_one()
        else:
            analysed = conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'photometry' "
                "AND coalesce(last_analyze, last_autoanalyze) IS NOT NULL")).scalar_one()
    return (n_img == images and n_src == sources and analysed > 0
            and "idx_photometry_source_id" in indexes)


def build(db: Database, images: int, sources: int, epochs: int, seed: int) -> None:
    migrate.upgrade(db)
    log(f"  filling {db.target.display()}: {images:,} images, {sources:,} sources, "
        f"{epochs:,} epochs")
    summary = fill_database(db, images=images, sources=sources, epochs=epochs, seed=seed,
                            progress=progress_printer())
    log(f"  filled in {summary.seconds:.0f} s: {summary.rows}")


def sqlite_database(data_dir: Path, scale: tuple[int, int, int], seed: int,
                    rebuild: bool) -> Database:
    images, sources, epochs = scale
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"scale_{images}_{sources}_{epochs}_s{seed}.sqlite3"
    log(f"SQLite database: {path}")
    if path.exists() and not rebuild:
        db = open_db(str(path))
        if is_complete(db, images, sources):
            log("  complete: reused")
            return db
        db.dispose()
        log("  incomplete: rebuilt")
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    db = open_db(str(path))
    build(db, images, sources, epochs, seed)
    return db


def pg_database(url: str, scale: tuple[int, int, int], seed: int,
                rebuild: bool) -> Database:
    images, sources, epochs = scale
    parsed = make_url(url)
    if scale != ONE_YEAR:  # keep one database per scale, the one-year one by its name
        parsed = parsed.set(database=f"{parsed.database}_{images}_{sources}_{epochs}")
    name = parsed.database
    target = parsed.render_as_string(hide_password=False)
    log(f"PostgreSQL database: {parsed.render_as_string(hide_password=True)}")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).first()
            if exists and not rebuild:
                db = open_db(target)
                if is_complete(db, images, sources):
                    log("  complete: reused")
                    return db
                db.dispose()
                log("  incomplete: rebuilt")
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    db = open_db(target)
    build(db, images, sources, epochs, seed)
    return db


# ------------------------------------------------------------------- measuring
def median_ms(fn: Callable[[], object], runs: int, warmup: bool = True) -> float:
    if warmup:
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


#: The main declination strip (64 % of the time): a typical source and cone live there.
MAIN_STRIP = "dec_deg BETWEEN 52.9 AND 56.2"


def pick_source(db: Database) -> tuple[str, float, float]:
    """The middle source (by name) of the main strip: deterministic and typical."""
    with db.connect() as conn:
        n = conn.execute(sa.text(
            f"SELECT count(*) FROM variability_stats WHERE {MAIN_STRIP}")).scalar_one()
        return tuple(conn.execute(sa.text(
            f"SELECT source_id, ra_deg, dec_deg FROM variability_stats WHERE {MAIN_STRIP} "
            "ORDER BY source_id LIMIT 1 OFFSET :o"), {"o": n // 2}).one())


def measure(db: Database, runs: int) -> list[tuple[str, float, str]]:
    """(query, median ms, note) rows for one database."""
    rows: list[tuple[str, float, str]] = []
    source_id, ra, dec = pick_source(db)
    sources = SourceRepository(db)
    lightcurves = LightcurveRepository(db)
    stats = StatsRepository(db)

    try:
        from dsa110_dashboard.repositories.images import ImageFilter, ImageRepository
    except ImportError as exc:  # written concurrently; the rest still runs
        rows.append(("(a) image page 50, filtered+sorted, total", float("nan"),
                     f"skipped: {exc}"))
    else:
        images = ImageRepository(db)
        page = images.page(ImageFilter(types=("5min",), noise_max=0.01),
                           PageRequest(limit=50, sort="created_at"))
        rows.append(("(a) image page 50, filtered+sorted, total", median_ms(
            lambda: images.page(ImageFilter(types=("5min",), noise_max=0.01),
                                PageRequest(limit=50, sort="created_at")), runs),
            f"total {page.total:,}"))
        rows += image_page_rows(images, ImageFilter, runs)

    lc = lightcurves.lightcurve(source_id)
    rows.append(("(b) lightcurve of one source", median_ms(
        lambda: lightcurves.lightcurve(source_id), runs), f"{len(lc):,} points"))

    cone = sources.cone(ra, dec, 1.0, PageRequest(limit=50))
    rows.append(("(c) cone search r=1 deg, page of 50", median_ms(
        lambda: sources.cone(ra, dec, 1.0, PageRequest(limit=50)), runs),
        f"total {cone.total:,}"))

    def cold():
        stats.clear_cache()
        return stats.overview_counts()

    counts = cold()
    exactness = ", ".join(f"{name} {'exact' if c.exact else 'est.'}" for name, c in (
        ("ms", counts.measurement_sets.total), ("images", counts.images.total),
        ("phot", counts.photometry), ("sources", counts.sources), ("jobs", counts.jobs.total)))
    rows.append(("(d) overview counts, cold", median_ms(cold, runs), exactness))
    rows.append(("(d) overview counts, cached", median_ms(stats.overview_counts, runs),
                 f"photometry ~{counts.photometry.value:,}"))

    with db.connect() as conn:
        def plain_count():
            return conn.execute(sa.text("SELECT count(*) FROM photometry")).scalar_one()

        def naive_page():
            return conn.execute(sa.text("SELECT * FROM images ORDER BY created_at DESC "
                                        "LIMIT 50 OFFSET 0")).all()

        def raw_lightcurve():
            return conn.execute(sa.text("SELECT * FROM photometry WHERE source_id = :s"),
                                {"s": source_id}).all()

        n = plain_count()
        rows.append(("baseline: SELECT count(*) FROM photometry",
                     median_ms(plain_count, max(3, runs // 2), warmup=False), f"= {n:,}"))
        rows.append(("baseline: SELECT * FROM images ORDER BY created_at LIMIT 50",
                     median_ms(naive_page, runs), "no filter, no total"))
        rows.append(("baseline: SELECT * FROM photometry WHERE source_id = ?",
                     median_ms(raw_lightcurve, runs), "no join, no QA"))
    return rows


def image_page_rows(images, image_filter, runs: int) -> list[tuple[str, float, str]]:
    """(e) the QA-grade filter and (f) page changes, as the /images page asks them."""
    rows = []
    for name, grades in (("(e) QA-grade filter: marginal, page of 50 + total", ("marginal",)),
                         ("(e) QA-grade filter: good+excellent, page 50 + total",
                          ("good", "excellent"))):
        query = image_filter(qa_grade=grades)
        request = PageRequest(limit=50, sort="mjd", descending=True)
        total = images.page(query, request).total
        rows.append((name, median_ms(lambda q=query, r=request: images.page(q, r), runs),
                     f"total {total:,}"))
    for name, offset in (("(f) image page change: page 2 of 50 + total", 50),
                         ("(f) image page change: page 100 of 50 + total", 4950)):
        request = PageRequest(offset=offset, limit=50, sort="mjd", descending=True)
        rows.append((name, median_ms(lambda r=request: images.page(image_filter(), r),
                                     runs), "observation time, newest first"))
    return rows


def prepare_summary(db: Database) -> None:
    """Our image summary and its grade index, as `dsa110-dash image-summary` leaves them."""
    from dsa110_dashboard.repositories.image_summary import ImageSummaryRepository

    migrate.upgrade(db)
    db.refresh_catalog()
    summary = ImageSummaryRepository(db)
    if summary.marks() is None:
        log("  indexing the QA grades (image summary)")
        summary.refresh_grades()


def print_table(backend: str, rows: list[tuple[str, float, str]]) -> None:
    by_name = {name: ms for name, ms, _ in rows}
    ratios = {
        "(a) image page 50, filtered+sorted, total":
            "baseline: SELECT * FROM images ORDER BY created_at LIMIT 50",
        "(b) lightcurve of one source": "baseline: SELECT * FROM photometry WHERE source_id = ?",
        "(d) overview counts, cold": "baseline: SELECT count(*) FROM photometry",
        "(e) QA-grade filter: marginal, page of 50 + total":
            "baseline: SELECT * FROM images ORDER BY created_at LIMIT 50",
        "(e) QA-grade filter: good+excellent, page 50 + total":
            "baseline: SELECT * FROM images ORDER BY created_at LIMIT 50",
        "(f) image page change: page 2 of 50 + total":
            "baseline: SELECT * FROM images ORDER BY created_at LIMIT 50",
        "(f) image page change: page 100 of 50 + total":
            "baseline: SELECT * FROM images ORDER BY created_at LIMIT 50",
    }
    print(f"\n{backend}")
    print(f"  {'query':<62} {'median ms':>10} {'target':>7} {'':>4} {'x baseline':>10}  note")
    for name, ms, note in rows:
        is_baseline = name.startswith("baseline")
        target = "" if is_baseline else f"{TARGET_MS:.0f}"
        verdict = "" if is_baseline or ms != ms else ("ok" if ms <= TARGET_MS else "SLOW")
        ratio = ""
        if name in ratios and ratios[name] in by_name and by_name[ratios[name]] > 0:
            ratio = f"{ms / by_name[ratios[name]]:.2f}"
        print(f"  {name:<62} {ms:>10.2f} {target:>7} {verdict:>4} {ratio:>10}  {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int)
    parser.add_argument("--sources", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--small", action="store_true",
                        help=f"quick preset: images, sources, epochs = {SMALL}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("DSA110_BENCH_DIR", HERE / ".data")))
    parser.add_argument("--pg-url", default=os.environ.get("DSA110_BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--sqlite-db", type=Path, metavar="FILE",
                        help="an existing one-year SQLite database to measure (not rebuilt)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the databases even when complete")
    args = parser.parse_args(argv)
    preset = SMALL if args.small else ONE_YEAR
    scale = (args.images or preset[0], args.sources or preset[1], args.epochs or preset[2])
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print(f"scale: {scale[0]:,} images, {scale[1]:,} sources, {scale[2]:,} epochs; "
          f"median of {args.runs} runs after one warm-up")
    for backend in backends:
        if backend == "sqlite" and args.sqlite_db:
            db = open_db(str(args.sqlite_db.resolve()))
        elif backend == "sqlite":
            db = sqlite_database(args.data_dir.resolve(), scale, args.seed, args.rebuild)
        elif backend == "postgresql":
            db = pg_database(args.pg_url, scale, args.seed, args.rebuild)
        else:
            parser.error(f"unknown backend {backend!r}")
        try:
            prepare_summary(db)
            print_table(f"{backend}: {db.target.display()}", measure(db, args.runs))
        finally:
            db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
