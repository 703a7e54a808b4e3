"""The flux scale and astrometry of images against the catalogue (``dash_image_qa_catalogue``,
revision 0010, decision 0058): written by the qa batch beside its image_qa row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..db.engine import Database
from .records import record_from

TABLE = "dash_image_qa_catalogue"


@dataclass(frozen=True)
class CatalogueQARecord:
    image_qa_id: int
    image_path: str
    flux_scale_ratio: float | None
    astrometry_offset_arcsec: float | None
    n_catalogue: int | None
    n_matched: int | None
    measured_at: float | None


#: The values kept per image_qa row, under the names the QA page's metrics read.
VALUE_COLUMNS = ("flux_scale_ratio", "astrometry_offset_arcsec")


def join_catalogue(db: Database, source: sa.FromClause, qa_id: sa.ColumnElement
                   ) -> tuple[sa.FromClause, list[sa.ColumnElement]]:
    """``source`` (a FROM holding image_qa, whose id is ``qa_id``) outer-joined to the
    catalogue values of each row, and those values labelled by ``VALUE_COLUMNS``: NULL
    for a row the qa batch did not measure, or without the table (revision 0010)."""
    if not db.catalog.has_table(TABLE):
        return source, [sa.cast(sa.null(), sa.Float).label(c) for c in VALUE_COLUMNS]
    t = db.catalog[TABLE]
    joined = source.outerjoin(t.table, t["image_qa_id"] == qa_id)
    return joined, [t[c].label(c) for c in VALUE_COLUMNS]


class ImageQACatalogueRepository:
    def __init__(self, db: Database):
        self.db = db

    @property
    def available(self) -> bool:
        return self.db.catalog.has_table(TABLE)

    def write(self, conn: sa.Connection, image_qa_id: int, image_path: str,
              values: Mapping[str, Any], measured_at: float) -> bool:
        """One row for the image_qa row ``image_qa_id``; False (nothing kept) without
        the table (a database not upgraded to revision 0010)."""
        if not self.available:
            return False
        t = self.db.catalog[TABLE]
        conn.execute(sa.insert(t.table).values(
            image_qa_id=image_qa_id, image_path=image_path,
            flux_scale_ratio=values.get("flux_scale_ratio"),
            astrometry_offset_arcsec=values.get("astrometry_offset_arcsec"),
            n_catalogue=values.get("n_catalogue"), n_matched=values.get("n_matched"),
            measured_at=measured_at))
        return True

    def for_image(self, image_path: str) -> dict[int, CatalogueQARecord]:
        """The image's rows by image_qa id; empty without the table."""
        if not self.available:
            return {}
        t = self.db.catalog[TABLE]
        stmt = sa.select(*t.columns()).select_from(t.table).where(t["image_path"] == image_path)
        with self.db.connect() as conn:
            records = [record_from(CatalogueQARecord, r) for r in conn.execute(stmt).mappings()]
        return {r.image_qa_id: r for r in records}
