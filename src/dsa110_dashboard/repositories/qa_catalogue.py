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
    flux_ratio: float | None
    astrometry_offset_arcsec: float | None
    n_catalogue: int | None
    n_matched: int | None
    measured_at: float | None


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
            flux_ratio=values.get("flux_ratio"),
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
