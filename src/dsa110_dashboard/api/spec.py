"""Declaring an endpoint once: its route, parameters and responses, and the OpenAPI 3.1
document built from those declarations (decision 0067).

An endpoint is a ``Route`` in ``routes.ROUTES`` (a path template such as
``/api/v1/images/{id}``) whose handler class declares, in its own body, one ``Op`` per
HTTP method::

    class ImageHandler(ApiHandler):
        operations = {"get": Op("One image", response=ImageDetail)}

``query`` and ``body`` are pydantic models: ``ApiHandler.prepare`` validates the query
string with ``query`` (a bad value is a 400 naming the parameter) and hands the result
to the handler as ``self.query``; ``response`` is the model of the success body. The
OpenAPI document (``/api/v1/openapi.json``) is generated from the route table and these
models, so it cannot drift from what is served; a route whose handler lacks a
declaration for a method it implements fails ``tests/api/test_openapi.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.json_schema import models_json_schema

from ..errors import InvalidInputError, clipped

#: Errors any endpoint may answer (envelope bodies): a bad parameter, no sign-in, a role
#: or path refused, nothing there, a request too large, a feature this database lacks,
#: the database (or a bounded resource) unavailable.
COMMON_ERRORS = (400, 401, 403, 404, 413, 501, 503)
METHODS = ("get", "post", "put", "patch", "delete")
#: Schemas of path parameters, by name (one meaning per name across the API).
PATH_PARAMS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "minimum": 0, "description": "image id"},
    "batch": {"type": "integer", "minimum": 0, "description": "batch id"},
    "job": {"type": "string", "description": "job id or pipeline run id"},
    "run_id": {"type": "string", "description": "pipeline run id (or job id)"},
    "ms": {"type": "string", "description": "measurement set path, URL-encoded "
                                            "(`/` as `%2F`)"},
    "source_id": {"type": "string", "description": "source id (NVSS name), URL-encoded"},
    "format": {"type": "string", "description": "file format"},
}
_PARAM = re.compile(r"\{(\w+)(?::([^}]+))?\}")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


class ErrorEnvelope(BaseModel):
    """Every error body: a stable code, a sentence for a person, what a program needs."""

    error: str
    message: str
    details: dict[str, Any]


class Query(BaseModel):
    """Base of query-parameter models: unknown keys are ignored (the pages' URLs carry
    more), every value is a string from the URL that pydantic converts."""

    model_config = ConfigDict(extra="ignore", str_max_length=2000)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Loose(BaseModel):
    """Base of response models: the named fields are promised; more may come."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class Op:
    """One operation: what it does, what it takes and what it answers."""

    summary: str
    query: type[Query] | None = None
    body: type[Body] | None = None
    #: Model of the JSON success body, or None with ``media`` naming a file type.
    response: type[BaseModel] | None = None
    status: int = 200
    #: Media types of the success body (the first is the default).
    media: tuple[str, ...] = ("application/json",)
    #: Statuses beyond COMMON_ERRORS this operation may answer with an envelope.
    errors: tuple[int, ...] = ()
    #: Other statuses whose body is not the error envelope: status -> model.
    bodies: Mapping[int, type[BaseModel]] = field(default_factory=dict)
    #: Statuses without a body (304 Not Modified).
    empty: tuple[int, ...] = ()
    description: str = ""
    tag: str = ""
    public: bool = False
    #: Non-empty for the heavy endpoints, naming what they do ("export"): each request
    #: takes one from the client's rate limit (``ratelimit``), else a 429.
    heavy: str = ""
    #: Response headers of the success answer: name -> description.
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """A path template of the API and its handler class."""

    template: str
    handler: type
    #: Also match the template with a trailing slash.
    slash: bool = True

    @property
    def pattern(self) -> str:
        out, last = [], 0
        for m in _PARAM.finditer(self.template):
            out.append(re.escape(self.template[last:m.start()]))
            out.append(f"({m.group(2) or '[^/]+'})")
            last = m.end()
        out.append(re.escape(self.template[last:]))
        return "".join(out) + ("/?" if self.slash else "")

    @property
    def path(self) -> str:
        """The OpenAPI path: the template without parameter patterns."""
        return _PARAM.sub(lambda m: "{" + m.group(1) + "}", self.template)

    @property
    def parameters(self) -> list[tuple[str, str | None]]:
        return [(m.group(1), m.group(2)) for m in _PARAM.finditer(self.template)]


def operations_of(handler: type) -> dict[str, Op]:
    """The handler's own declarations (not inherited: a subclass serving another path
    declares its own)."""
    return dict(vars(handler).get("operations", {}))


def implemented(handler: type) -> set[str]:
    """Methods the handler class answers (HEAD follows GET)."""
    from tornado.web import RequestHandler

    allowed = {m.lower() for m in getattr(handler, "SUPPORTED_METHODS", METHODS)}
    return {m for m in METHODS if m in allowed
            and getattr(handler, m) is not getattr(RequestHandler, m)}


def undeclared(routes: Iterable[Route]) -> list[str]:
    """``METHOD template`` of every implemented method without an ``Op``."""
    missing = []
    for route in routes:
        ops = operations_of(route.handler)
        missing += [f"{m.upper()} {route.template}" for m in sorted(implemented(route.handler))
                    if m not in ops]
    return missing


# ------------------------------------------------------------------- validation
def parse_query(model: type[Query], arguments: Mapping[str, list[bytes]]) -> Query:
    """The query string as ``model``: a list field takes every value (repeated or
    comma-separated), any other the last; an empty value counts as absent."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        # As Tornado's get_query_argument reads them: control characters out, stripped.
        raw = [_CONTROL.sub(" ", v.decode("utf-8", "replace")).strip()
               for v in arguments.get(key, [])]
        raw = [v for v in raw if v]
        if not raw:
            continue
        if _is_list(info.annotation):
            data[key] = [item.strip() for v in raw for item in v.split(",") if item.strip()]
        else:
            data[key] = raw[-1]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "query"
        if first["type"] == "missing":
            raise InvalidInputError(f"{name} is required", parameter=name) from None
        given = data.get(name)
        shown = f" {clipped(given, quote=True)}" if isinstance(given, str) else ""
        raise InvalidInputError(f"invalid value{shown} for {name}: {_reason(first)}",
                                parameter=name) from None


def _reason(error: dict[str, Any]) -> str:
    """Pydantic's complaint as a short phrase about the value."""
    ctx = error.get("ctx") or {}
    kind = error["type"]
    reasons = {"int_parsing": "not a whole number", "int_from_float": "not a whole number",
               "float_parsing": "not a number", "bool_parsing": "not 1 or 0",
               "finite_number": "not a finite number",
               "greater_than_equal": f"must be at least {ctx.get('ge')}",
               "greater_than": f"must be greater than {ctx.get('gt')}",
               "less_than_equal": f"must be at most {ctx.get('le')}",
               "less_than": f"must be less than {ctx.get('lt')}",
               "string_too_long": f"longer than {ctx.get('max_length')} characters"}
    if kind in reasons:
        return reasons[kind]
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    return error["msg"][:1].lower() + error["msg"][1:]


def _is_list(annotation: Any) -> bool:
    text = str(annotation)
    return text.startswith(("list", "tuple", "typing.List", "typing.Tuple")) or \
        "list[" in text


# ---------------------------------------------------------------------- OpenAPI
def openapi(routes: Iterable[Route], *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes``."""
    routes = list(routes)
    models: set[type[BaseModel]] = {ErrorEnvelope}
    for route in routes:
        for op in operations_of(route.handler).values():
            models.update(m for m in (op.body, op.response) if m is not None)
            models.update(op.bodies.values())
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, defs = models_json_schema([(m, "validation") for m in ordered],
                                    ref_template="#/components/schemas/{model}")
    schemas = dict(defs.get("$defs", {}))

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        return refs[(model, "validation")]

    envelope = {"description": "error", "content": {"application/json": {
        "schema": ref(ErrorEnvelope)}}}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        item = paths.setdefault(route.path, {})
        path_params = [{"name": name, "in": "path", "required": True,
                        "schema": ({"type": "string", "enum": pattern.split("|")}
                                   if pattern and "|" in pattern
                                   else PATH_PARAMS.get(name, {"type": "string"}))}
                       for name, pattern in route.parameters]
        for method, op in sorted(operations_of(route.handler).items()):
            operation: dict[str, Any] = {
                "operationId": f"{method}_{route.handler.__name__}",
                "summary": op.summary,
                "tags": [op.tag or (route.template.split("/") + ["", "", "", "api"])[3]
                         .split(".")[0]],
                "parameters": path_params + _query_parameters(op.query),
                "responses": {},
            }
            if op.description:
                operation["description"] = op.description
            if op.public:
                operation["security"] = [{}]
            if op.body is not None:
                operation["requestBody"] = {"required": False, "content": {
                    "application/json": {"schema": ref(op.body)}}}
            success: dict[str, Any] = {"description": op.summary}
            # The model describes the first media type (JSON); the others are files.
            success["content"] = {m: {"schema": {"type": "string", "format": "binary"}}
                                  for m in op.media}
            if op.response is not None:
                success["content"][op.media[0]] = {"schema": ref(op.response)}
            if op.headers:
                success["headers"] = {h: {"description": d, "schema": {"type": "string"}}
                                      for h, d in op.headers.items()}
            responses = operation["responses"]
            responses[str(op.status)] = success
            for status, model in op.bodies.items():
                responses[str(status)] = {"description": op.summary, "content": {
                    "application/json": {"schema": ref(model)}}}
            for status in op.empty:
                responses[str(status)] = {"description": "not modified"}
            extra = set(op.errors) | ({429} if op.heavy else set())
            for status in sorted(set(COMMON_ERRORS) | extra):
                responses.setdefault(str(status), envelope)
            item[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "The JSON API of the DSA-110 continuum pipeline dashboard. "
                                "Every error is `{error, message, details}`."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "an API token from `dsa110-dash tokens create`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "dsa_session",
                            "description": "the sign-in session of /login"}}},
        "security": [{}, {"bearer": []}, {"session": []}],
    }


def _query_parameters(model: type[Query] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = _not_null(dict(prop))
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                 "schema": prop}
        if description:
            param["description"] = description
        if prop.get("type") == "array":
            param["style"], param["explode"] = "form", False
        out.append(param)
    return out


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without pydantic's ``null`` branch: in a URL an
    optional parameter is one left out, never a null."""
    options = schema.get("anyOf")
    if options and any(o.get("type") == "null" for o in options):
        rest = [o for o in options if o.get("type") != "null"]
        schema = {k: v for k, v in schema.items() if k != "anyOf"}
        schema.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
    if schema.get("default", 0) is None:
        del schema["default"]
    return schema
