"""People's flags on one image (issue 15, decisions 0054-0055).

- ``GET /api/v1/images/{id}/flags?offset=&limit=&order=``: ``{"image_id", "current",
  "history", "total", "offset", "limit", "order", "can_flag", "reason"}`` -- the current
  flag (``null`` when never flagged), one page of its flags newest first (``order=asc``:
  oldest first; at most DSA110_DASH_PAGE_SIZE_MAX a page) with their total, and whether
  this caller may flag it here (else why not).
- ``POST /api/v1/images/{id}/flags`` with ``{"verdict": "good"|"bad"|"unsure",
  "note": "..."}``: store a flag (201, the same body as GET). Needs a signed-in user or an
  API token, of any role (the flag is stored under that name); a cookie session also needs
  the XSRF token like every other POST (decision 0047). 404 for an unknown image, 400
  naming ``verdict``/``note`` for bad values, 409 on a read-only database, 501 when the
  database lacks revision 0009. Its answer holds the first page of the history.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..auth.identity import TOKEN
from ..errors import InvalidInputError, NotAuthenticatedError, NotFoundError
from ..repositories.flags import ImageFlags
from ..repositories.images import ImageRepository
from ..repositories.paging import PageRequest
from .images import parse_image_id
from .models import Page, Paging, Record
from .operators import OperatorApiHandler, page_json, plain, rows
from .spec import Body, Op

FIELDS = ("verdict", "note")


def flags_body(ctx, image_id: int, reason: str | None,  # noqa: ANN001 - the AppContext
               request: PageRequest) -> dict[str, Any]:
    """The image's current flag and a page of its flags; NotFoundError when the image
    is unknown."""
    ImageRepository(ctx.db).get(image_id)
    flags = ImageFlags(ctx.db)
    current, page = flags.current_and_history(image_id, request)
    writable = flags.writable_reason()
    return plain({"image_id": image_id, "current": current,
                  **page_json(page, request, "history", rows(page.rows)),
                  "can_flag": writable is None and reason is None,
                  "reason": writable or reason})


class FlagBody(Body):
    verdict: Literal["good", "bad", "unsure"]
    note: str | None = Field(None, description="why (optional)")


class Flags(Page):
    image_id: int
    current: Record | None
    history: list[Record]
    can_flag: bool
    reason: str | None


class ImageFlagsHandler(OperatorApiHandler):
    operations = {"get": Op("An image's flags: the current one and a page of the history",
                            query=Paging, response=Flags, tag="images"),
                  "post": Op("Flag an image (a signed-in user or token, any role)",
                             body=FlagBody, response=Flags, status=201, errors=(409,),
                             tag="images")}

    def _check_may_act(self) -> None:
        # Any role may flag, but the flag names its author: a signed-in user or a token.
        if not self.authenticated:
            raise NotAuthenticatedError(
                "flagging an image needs a sign-in (/login) or an API token "
                "(Authorization: Bearer), of any role")
        super()._check_may_act()  # the XSRF check for cookie sessions

    def _refusal(self) -> str | None:
        if self.authenticated:
            return None
        if self.ctx.sign_in is None:
            return ("Sign in to flag images: sign-in is off on this server, so only an API "
                    "token (Authorization: Bearer) can name who flags.")
        return "Sign in to flag images (any role may flag)."

    async def get(self, raw_id: str) -> None:
        image_id = parse_image_id(raw_id)
        request = self.page_request(sort="created_at")
        body = await self.blocking(flags_body, self.ctx, image_id, self._refusal(), request)
        self.write_json(body)

    async def post(self, raw_id: str) -> None:
        image_id = parse_image_id(raw_id)
        body = self.json_body(FIELDS)
        if "verdict" not in body:
            raise InvalidInputError("verdict is required: good, bad or unsure",
                                    parameter="verdict")
        user = self.identity.actor_name if self.identity.via == TOKEN else self.identity.name

        def work() -> dict[str, Any]:
            try:
                ImageFlags(self.ctx.db).flag([image_id], body["verdict"], body.get("note"),
                                             user)
            except NotFoundError:
                raise NotFoundError(f"no image with id {image_id}") from None
            return flags_body(self.ctx, image_id, None, PageRequest())

        self.write_json(await self.blocking(work), 201)
