"""The API's own description: ``GET /api/v1/openapi.json`` (OpenAPI 3.1, built from the
route table and the handlers' declarations, decision 0067) and ``GET /api/v1/docs``, a
browsable rendering by Swagger UI served from the files of the ``swagger-ui-bundle-v2``
package: nothing is fetched from another host (decision 0009). Both are public: they
describe the API, they hold no data.

The docs page follows the dashboard's theme as the pages do (``views.shell``): ``?theme=dark``
or ``?theme=default``, remembered in the same cookie, else the theme last chosen there; the
dark rules are our own CSS, inline in the page (Swagger UI ships none)."""

from __future__ import annotations

import functools
import html
import json
from importlib import resources
from typing import Any, Literal

from pydantic import Field

from ..errors import NotFoundError
from .base import ApiHandler
from .spec import Loose, Op, Query

DOCS_STATIC = "/api/v1/docs/static"
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{static}/swagger-ui.css">
<link rel="icon" href="{static}/favicon-32x32.png">
<style>body {{ margin: 0; }} .topbar {{ display: none; }}</style>
{theme_css}
</head>
<body>
<div id="swagger-ui"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "/api/v1/openapi.json", dom_id: "#swagger-ui",
  deepLinking: true, validatorUrl: null, tryItOutEnabled: false}});
</script>
</body>
</html>
"""


#: The cookie the pages keep the chosen theme in (``views.shell.THEME_COOKIE``; not
#: imported, so that the API does not import Panel).
THEME_COOKIE = "dsa_theme"


@functools.cache
def dark_css() -> str:
    return resources.files(__package__).joinpath("swagger-dark.css").read_text("utf-8")


def docs_static_path() -> str:
    import swagger_ui_bundle

    return swagger_ui_bundle.swagger_ui_path


@functools.cache
def openapi_document(version: str) -> str:
    from .routes import ROUTES
    from .spec import openapi

    return json.dumps(openapi(ROUTES, title="DSA-110 dashboard API", version=version))


class OpenApiDocument(Loose):
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


class OpenApiHandler(ApiHandler):
    public = True
    operations = {"get": Op("The OpenAPI 3.1 document of this API",
                            response=OpenApiDocument, public=True, tag="meta")}

    async def get(self) -> None:
        from .. import __version__

        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(openapi_document(__version__))


class DocsQuery(Query):
    theme: Literal["default", "dark"] | None = Field(
        None, description="the page's theme, remembered for the pages too (else the theme "
        "last chosen on a page)")


class DocsHandler(ApiHandler):
    public = True
    operations = {"get": Op("The API's browsable documentation (Swagger UI, served here), "
                            "light or dark as the pages: ?theme=, else the theme cookie",
                            query=DocsQuery, media=("text/html",), public=True,
                            tag="meta")}

    async def get(self) -> None:
        asked = self.query.theme
        if asked:  # remembered as the pages remember it, for the next page and visit
            self.set_cookie(THEME_COOKIE, asked, path="/", expires_days=365,
                            samesite="Lax")
        theme = asked or self.get_cookie(THEME_COOKIE, "")
        css = f"<style>\n{dark_css()}</style>" if theme == "dark" else ""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(_PAGE.format(title=html.escape("DSA-110 dashboard API"),
                                 static=DOCS_STATIC, theme_css=css))


class NoRouteHandler(ApiHandler):
    """Any other path under /api/: a JSON 404 naming it."""

    public = True

    async def prepare(self) -> None:
        raise NotFoundError(f"no endpoint {self.request.path[:80]!r}; the endpoints are "
                            "listed at /api/v1/docs")
