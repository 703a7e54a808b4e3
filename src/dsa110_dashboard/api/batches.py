"""The batch endpoints.

- ``GET /api/v1/batch?status=&type=&sort=&order=&offset=&limit=``: a page of batches with
  their item counts and status by the pipeline's roll-up rule, and the total.
- ``POST /api/v1/batch`` with ``{"kind": "thumbnails", "selection": {"images":
  "type=5min"}, "options": {...}}``: start a batch for the workers (201).
- ``GET /api/v1/batch/{id}``: one batch, its progress, who runs it and its failed items.
- ``POST /api/v1/batch/{id}/cancel``: cancel it (409 when it has finished).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import Field

from ..errors import InvalidInputError, NotFoundError
from ..jobs.batch import BatchService
from ..jobs.batch_kinds import Selection
from ..repositories.jobs import BatchJobFilter, BatchJobRepository
from ..repositories.records import parse_json
from .operators import OperatorApiHandler, page_json, plain, rows
from ..repositories.jobs import BatchJobRepository as _Batches
from .models import Page, Paging, Record
from .spec import Body, Loose, Op

BATCH = r"([^/]+)"
STATUSES = ("pending", "running", "done", "failed")
MAX_ERRORS = 200
_SELECTION_TEXT = ("images", "sources")
_SELECTION_LISTS = ("ms", "ms_status", "ms_stage")
_SELECTION_IDS = ("image_ids",)
#: Most ids one selection may list (a bigger selection is a filter).
MAX_IDS = 10_000
_SELECTION_KEYS = ", ".join(_SELECTION_TEXT + _SELECTION_LISTS + _SELECTION_IDS)
_OPTIONS = ("thumbnail", "exclude_failed_qa", "include_flagged", "overrides")


def parse_batch_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInputError(f"batch id must be a whole number; got {raw[:40]!r}",
                                parameter="id")
    if len(raw.lstrip("0")) > 18:
        raise NotFoundError(f"no batch {raw[:40]}")
    return int(raw)


def parse_selection(raw: Any) -> Selection:
    if not isinstance(raw, dict) or not raw:
        raise InvalidInputError("selection must be a JSON object naming what to run over: "
                                f"{_SELECTION_KEYS}",
                                parameter="selection")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"selection.{key}"
        if key in _SELECTION_TEXT:
            if not isinstance(value, str):
                raise InvalidInputError(f"{name} must be a string", parameter=name)
            values[key] = value
        elif key in _SELECTION_LISTS:
            if isinstance(value, str):
                value = [value]
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise InvalidInputError(f"{name} must be a list of strings", parameter=name)
            values[key] = tuple(value)
        elif key in _SELECTION_IDS:
            if not (isinstance(value, list) and 0 < len(value) <= MAX_IDS
                    and all(type(v) is int and 0 < v < 2**63 for v in value)):
                raise InvalidInputError(f"{name} must be a list of 1 to {MAX_IDS} image ids "
                                        "(positive whole numbers)", parameter=name)
            values[key] = tuple(value)
        else:
            raise InvalidInputError(f"unknown selection {key!r}; choose from: "
                                    f"{_SELECTION_KEYS}",
                                    parameter=name)
    return Selection(**values)


def parse_options(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInputError("options must be a JSON object", parameter="options")
    unknown = sorted(set(raw) - set(_OPTIONS))
    if unknown:
        raise InvalidInputError(f"unknown option {unknown[0]!r}; the options are: "
                                f"{', '.join(_OPTIONS)}", parameter=f"options.{unknown[0]}")
    for key in ("thumbnail", "overrides"):
        if key in raw and not isinstance(raw[key], dict):
            raise InvalidInputError(f"options.{key} must be a JSON object",
                                    parameter=f"options.{key}")
    for key in ("exclude_failed_qa", "include_flagged"):
        if key in raw and not isinstance(raw[key], bool):
            raise InvalidInputError(f"options.{key} must be true or false",
                                    parameter=f"options.{key}")
    return dict(raw)


def _batch_detail(ctx, batch_id: int) -> dict[str, Any]:  # noqa: ANN001 - the AppContext
    repo = BatchJobRepository(ctx.db)
    record = repo.get(batch_id)
    failed = [dataclasses.asdict(i) for i in record.items if i.status == "failed"]
    return plain({"id": record.id, "type": record.type, "created_at": record.created_at,
            "status": record.status, "derived_status": record.derived_status,
            "counts": dataclasses.asdict(record.counts), "params": record.params,
            "runner": repo.runner_state(batch_id),
            "errors": failed[:MAX_ERRORS], "errors_total": len(failed),
            "url": f"/api/v1/batch/{record.id}"})


class BatchesQuery(Paging):
    status: list[Literal[STATUSES]] | None = None  # type: ignore[valid-type]
    type: list[str] | None = None
    sort: Literal[_Batches.SORT_KEYS] | None = None  # type: ignore[valid-type]


class BatchPage(Page):
    batches: list[Record]


class BatchBody(Body):
    kind: str = Field(description="thumbnails, qa, variability or rerun")
    selection: dict[str, str | list[str]] = Field(
        description="what to run over: images, sources (query strings), ms, ms_status, "
                    "ms_stage (lists)")
    options: dict[str, object] | None = None


class BatchStarted(Loose):
    id: int
    kind: str
    total: int
    url: str


class BatchDetail(Loose):
    id: int


class BatchCancelBody(Body):
    pass


class BatchOutcome(Loose):
    id: int
    outcome: str


class BatchesHandler(OperatorApiHandler):
    operations = {"get": Op("A page of batches", query=BatchesQuery, response=BatchPage,
                            tag="batch"),
                  "post": Op("Start a batch (operator)", body=BatchBody,
                             response=BatchStarted, status=201, errors=(409,), tag="batch")}

    async def get(self) -> None:
        request = self.page_request(sort="created_at")
        flt = BatchJobFilter(statuses=self.listed("status", STATUSES),
                             types=self.listed("type"))
        page = await self.blocking(BatchJobRepository(self.ctx.db).page, flt, request)
        batches = rows(page.rows)
        for batch in batches:
            batch["url"] = f"/api/v1/batch/{batch['id']}"
            batch["params"], ok = parse_json(batch.get("params"))
            batch["params_invalid"] = not ok
        batches = plain(batches)
        self.write_json(page_json(page, request, "batches", batches))

    async def post(self) -> None:
        body = self.json_body(("kind", "selection", "options"))
        kind = body.get("kind")
        if not isinstance(kind, str) or not kind:
            raise InvalidInputError("kind is required (thumbnails, qa, variability or "
                                    "rerun)", parameter="kind")
        selection = parse_selection(body.get("selection"))
        options = parse_options(body.get("options"))
        service = BatchService(self.ctx.db, self.ctx.settings)
        started = await self.blocking(service.start, self.actor(), kind, selection, options)
        url = f"/api/v1/batch/{started.batch_id}"
        self.set_header("Location", url)
        self.write_json({"id": started.batch_id, "kind": started.kind,
                         "total": started.total, "url": url}, 201)


class BatchHandler(OperatorApiHandler):
    operations = {"get": Op("One batch with progress and failed items",
                            response=BatchDetail, tag="batch")}

    async def get(self, raw_id: str) -> None:
        detail = await self.blocking(_batch_detail, self.ctx, parse_batch_id(raw_id))
        for key in ("runner", "errors"):
            detail[key] = self.shown_paths(detail[key])
        self.write_json(detail)


class BatchCancelHandler(OperatorApiHandler):
    operations = {"post": Op("Cancel a batch (operator)", body=BatchCancelBody,
                             response=BatchOutcome, errors=(409,), tag="batch")}
    SUPPORTED_METHODS = ("POST",)

    async def post(self, raw_id: str) -> None:
        self.json_body(())
        batch_id = parse_batch_id(raw_id)
        service = BatchService(self.ctx.db, self.ctx.settings)
        outcome = await self.blocking(service.cancel, self.actor(), batch_id)
        self.write_json({"id": batch_id, "outcome": outcome},
                        200 if outcome == "cancelled" else 202)
