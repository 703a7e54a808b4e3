"""People's flags on images (``dash_image_flags``, revision 0009, decision 0054).

A flag is a verdict (good, bad, unsure) with a note, who and when. Rows are only ever
inserted: the newest row of an image (greatest created_at, then id) is its current flag,
the older ones are its history. A database without the table reads as "no image is
flagged"; writing to it then says which migration is missing.

The SQL helpers (``bad_image_ids_sql``, ``flagged_bad_sql``, ``bad_image_paths_sql``)
let other queries leave out or mark flagged-bad images without a second round trip.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..db.dashboard_schema import dash_image_flags
from ..db.engine import Database
from ..errors import FeatureUnavailableError, InvalidInputError, NotFoundError, ReadOnlyError
from ..science.qa import FLAG_BAD, FLAG_VERDICTS
from .paging import Page, PageRequest, fetch_page, order_by
from .records import empty_frame, empty_page

REVISION = "0009_image_flags"
FLAG_COLUMNS = ("image_id", "verdict", "note", "user", "created_at")
HISTORY_COLUMNS = ("id", "image_id", "verdict", "note", "user", "created_at", "current")
#: A note longer than this is refused (named), not cut.
MAX_NOTE_CHARS = 2000
#: Images flagged in one call (a selection on the QA page); more is refused, named.
MAX_FLAG_IMAGES = 20_000
_CHUNK = 500
#: Ids this dense (spanning less than this many times their number) are read as a range.
_DENSE = 4


def _dense(ids: Sequence[int]) -> bool:
    """More sorted ids than one IN list, spanning less than ``_DENSE`` times their number."""
    return len(ids) > _CHUNK and ids[-1] - ids[0] < _DENSE * len(ids)


def _chunks(values: Sequence[int]):
    for i in range(0, len(values), _CHUNK):
        yield values[i:i + _CHUNK]


def check_verdict(verdict: Any) -> str:
    """The verdict, or InvalidInputError naming the parameter and the choices."""
    if not isinstance(verdict, str) or verdict.strip().lower() not in FLAG_VERDICTS:
        raise InvalidInputError(
            f"verdict must be one of {', '.join(FLAG_VERDICTS)} (got {str(verdict)[:40]!r})",
            parameter="verdict")
    return verdict.strip().lower()


def check_note(note: Any) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise InvalidInputError("note must be text", parameter="note")
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInputError(
            f"note is {len(note)} characters; at most {MAX_NOTE_CHARS} are kept",
            parameter="note")
    return note.strip()


def check_image_ids(image_ids: Sequence[Any]) -> list[int]:
    ids = []
    for value in image_ids:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInputError(f"image id {str(value)[:40]!r} is not a whole number",
                                    parameter="image_ids")
        ids.append(int(value))
    ids = sorted(set(ids))
    if not ids:
        raise InvalidInputError("no image to flag", parameter="image_ids")
    if len(ids) > MAX_FLAG_IMAGES:
        raise InvalidInputError(
            f"{len(ids)} images in one flag; at most {MAX_FLAG_IMAGES}", parameter="image_ids")
    return ids


class ImageFlags:
    def __init__(self, db: Database):
        self.db = db

    # ---------------------------------------------------------------- state
    @property
    def available(self) -> bool:
        """The table exists (the database had revision 0009)."""
        return self.db.catalog.has_table("dash_image_flags")

    def writable_reason(self) -> str | None:
        """Why flags cannot be written here, or None when they can."""
        if self.db.read_only:
            return (f"{self.db.target.display()} is open read-only, so flags cannot be "
                    "stored (DSA110_DASH_READ_ONLY=false lets the dashboard write its own "
                    "tables).")
        if not self.available:
            return (f"Flags need the dashboard's table dash_image_flags (revision {REVISION}); "
                    "an operator can add it with `dsa110-dash db upgrade`.")
        return None

    # ---------------------------------------------------------------- SQL helpers
    def current_sql(self) -> sa.Subquery | None:
        """The current flag of every flagged image (image_id, verdict, note, user,
        created_at), or None without the table."""
        if not self.available:
            return None
        f = self.db.catalog["dash_image_flags"].table
        g = f.alias("newer")
        newer = (sa.select(sa.literal(1)).select_from(g)
                 .where(g.c.image_id == f.c.image_id,
                        sa.or_(g.c.created_at > f.c.created_at,
                               sa.and_(g.c.created_at == f.c.created_at, g.c.id > f.c.id)))
                 .exists())
        return (sa.select(f.c.id, *(f.c[c] for c in FLAG_COLUMNS))
                .where(~newer).subquery("current_flags"))

    def bad_image_ids_sql(self) -> sa.Select:
        """SELECT of the ids of images whose current flag is bad (none without the table)."""
        current = self.current_sql()
        if current is None:
            return sa.select(sa.cast(sa.null(), sa.Integer)).where(sa.false())
        return sa.select(current.c.image_id).where(current.c.verdict == FLAG_BAD)

    def flagged_bad_sql(self, image_id: sa.ColumnElement) -> sa.ColumnElement:
        """Boolean SQL: the image whose id is ``image_id`` is currently flagged bad."""
        if not self.available:
            return sa.false()
        return image_id.in_(self.bad_image_ids_sql())

    def bad_image_paths_sql(self) -> sa.Select:
        """SELECT of images.path of the images currently flagged bad (photometry rows
        name their image by path)."""
        images = self.db.catalog["images"]
        if not (self.available and images.exists):
            return sa.select(sa.cast(sa.null(), sa.Text)).where(sa.false())
        return (sa.select(images["path"]).select_from(images.table)
                .where(images["id"].in_(self.bad_image_ids_sql())))

    def flagged_bad_path_sql(self, image_path: sa.ColumnElement) -> sa.ColumnElement:
        """Boolean SQL: the image at ``image_path`` is currently flagged bad."""
        if not (self.available and self.db.catalog["images"].exists):
            return sa.false()
        return image_path.in_(self.bad_image_paths_sql())

    # ---------------------------------------------------------------- reads
    def current(self, image_ids: Sequence[int]) -> dict[int, dict]:
        """{image_id: {verdict, note, user, created_at}} for the flagged ones of
        ``image_ids``; images never flagged are absent."""
        current = self.current_sql()
        ids = sorted({int(i) for i in image_ids})
        if current is None or not ids:
            return {}
        if _dense(ids):
            # Thousands of nearly consecutive ids (a QA range): one range of the index,
            # kept to the ids here. IN lists of them cost more to build, send and plan
            # than the flags they find (~100 ms for 10,000 ids on PostgreSQL). Sparse
            # ids (a lightcurve's images) keep the IN lists: their range could hold
            # every flag of the table.
            wanted = set(ids)
            parts = [current.c.image_id.between(ids[0], ids[-1])]
        else:
            wanted = None
            parts = [current.c.image_id.in_(part) for part in _chunks(ids)]
        out: dict[int, dict] = {}
        with self.db.connect() as conn:
            for where in parts:
                stmt = sa.select(*(current.c[c] for c in FLAG_COLUMNS)).where(where)
                for row in conn.execute(stmt).mappings():
                    image_id = int(row["image_id"])
                    if wanted is None or image_id in wanted:
                        out[image_id] = {
                            "verdict": row["verdict"], "note": row["note"] or "",
                            "user": row["user"], "created_at": float(row["created_at"])}
        return out

    def annotate(self, frame: pd.DataFrame, id_column: str = "id") -> pd.DataFrame:
        """``frame`` with the current flag of the image in ``id_column`` per row:
        ``flag_verdict`` (None when never flagged), ``flag_user``, ``flag_note`` and
        ``flagged_bad``. One query for the ids of the frame (a page, a lightcurve)."""
        ids = pd.to_numeric(frame[id_column], errors="coerce") if len(frame) else []
        current = self.current([int(i) for i in ids if pd.notna(i)]) if len(frame) else {}
        found = [None if pd.isna(i) else current.get(int(i)) for i in ids]
        out = frame.copy()
        for column, key in (("flag_verdict", "verdict"), ("flag_user", "user"),
                            ("flag_note", "note")):
            out[column] = pd.Series([f[key] if f else None for f in found], index=out.index,
                                    dtype=object)
        out["flagged_bad"] = pd.Series([bool(f and f["verdict"] == FLAG_BAD) for f in found],
                                       index=out.index, dtype=bool)
        return out

    def history(self, image_id: int) -> pd.DataFrame:
        """Every flag of the image, newest first; ``current`` is True on the first.
        For a caller outside the dashboard's own pages, ``history_page`` bounds it."""
        if not self.available:
            return empty_frame(HISTORY_COLUMNS)
        f = self.db.catalog["dash_image_flags"].table
        stmt = self._history_sql(image_id).order_by(f.c.created_at.desc(), f.c.id.desc())
        with self.db.connect() as conn:
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
        if not rows:
            return empty_frame(HISTORY_COLUMNS)
        frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS[:-1]))
        frame["note"] = frame["note"].fillna("")
        frame["current"] = [True] + [False] * (len(frame) - 1)
        return frame

    def history_page(self, image_id: int, request: PageRequest) -> Page[pd.DataFrame]:
        """One page of the image's flags (newest first unless ``request`` says
        ascending) with their total; ``current`` marks the current flag wherever the
        page holds it."""
        return self.current_and_history(image_id, request)[1]

    def current_and_history(self, image_id: int, request: PageRequest
                            ) -> tuple[dict | None, Page[pd.DataFrame]]:
        """(``newest``, ``history_page``) read on one connection: the current flag is
        needed to mark it on the page anyway."""
        if not self.available:
            return None, empty_page(HISTORY_COLUMNS, request)
        f = self.db.catalog["dash_image_flags"].table
        stmt = order_by(self._history_sql(image_id), request,
                        {"created_at": f.c.created_at}, "created_at", tiebreak=f.c.id)
        with self.db.connect() as conn:
            page = fetch_page(conn, stmt, request)
            newest = self._newest(conn, image_id)
        frame = page.rows
        frame["note"] = frame["note"].fillna("")
        frame["current"] = (frame["id"] == (newest or {}).get("id")).astype(bool)
        return newest, page

    def newest(self, image_id: int) -> dict | None:
        """The image's current flag as a history row (id, image_id, verdict, note, user,
        created_at), or None when it was never flagged."""
        if not self.available:
            return None
        with self.db.connect() as conn:
            return self._newest(conn, image_id)

    def _newest(self, conn: sa.Connection, image_id: int) -> dict | None:
        f = self.db.catalog["dash_image_flags"].table
        stmt = (self._history_sql(image_id)
                .order_by(f.c.created_at.desc(), f.c.id.desc()).limit(1))
        row = conn.execute(stmt).mappings().first()
        return None if row is None else {**row, "note": row["note"] or ""}

    def _history_sql(self, image_id: int) -> sa.Select:
        f = self.db.catalog["dash_image_flags"].table
        return (sa.select(f.c.id, *(f.c[c] for c in FLAG_COLUMNS))
                .where(f.c.image_id == int(image_id)))

    def bad_image_ids(self, image_ids: Sequence[int] | None = None) -> set[int]:
        """Ids currently flagged bad (of ``image_ids`` when given)."""
        if image_ids is not None:
            return {i for i, f in self.current(image_ids).items() if f["verdict"] == FLAG_BAD}
        if not self.available:
            return set()
        with self.db.connect() as conn:
            return {int(i) for i in conn.execute(self.bad_image_ids_sql()).scalars()}

    # ---------------------------------------------------------------- writes
    def flag(self, image_ids: Sequence[int], verdict: str, note: str, user: str,
             at: float | None = None) -> int:
        """Store ``verdict`` with ``note`` by ``user`` on every image of ``image_ids``
        (one row each, superseding their current flag); return the rows written.
        Unknown image ids are refused (NotFoundError naming them) and nothing is stored."""
        verdict = check_verdict(verdict)
        note = check_note(note)
        ids = check_image_ids(image_ids)
        if not isinstance(user, str) or not user.strip():
            raise InvalidInputError("a flag needs the name of who made it", parameter="user")
        if self.db.read_only:
            raise ReadOnlyError(self.writable_reason())
        if not self.available:
            raise FeatureUnavailableError(self.writable_reason())
        images = self.db.catalog["images"]
        when = time.time() if at is None else float(at)
        rows = [{"image_id": i, "verdict": verdict, "note": note, "user": user.strip(),
                 "created_at": when} for i in ids]
        with self.db.transaction() as conn:
            known: set[int] = set()
            if images.exists:
                for part in _chunks(ids):
                    known.update(int(i) for i in conn.execute(
                        sa.select(images["id"]).where(images["id"].in_(part))).scalars())
            unknown = [i for i in ids if i not in known]
            if unknown:
                shown = ", ".join(str(i) for i in unknown[:10])
                more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
                raise NotFoundError(f"no image with id {shown}{more}; nothing was flagged")
            table = self.db.catalog["dash_image_flags"].table
            for start in range(0, len(rows), _CHUNK):
                conn.execute(sa.insert(table), rows[start:start + _CHUNK])
        return len(rows)
