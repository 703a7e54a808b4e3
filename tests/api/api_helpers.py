"""HTTP helpers for the API tests: requests with headers, answers with headers."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message

from PIL import Image


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> dict:
        assert "application/json" in self.headers.get("Content-Type", ""), self.headers
        return json.loads(self.body)


def fetch(base_url: str, path: str, headers: dict[str, str] | None = None,
          timeout: float = 30.0) -> Reply:
    """GET ``path``; every status (304 and 4xx/5xx too) comes back as a Reply."""
    request = urllib.request.Request(base_url + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        with err:
            return Reply(err.code, err.headers, err.read())


@dataclass
class Api:
    """A running server and the ids of the test dataset's images by name."""

    url: str
    ids: dict[str, int]

    def get(self, image: str | int, endpoint: str, **headers: str) -> Reply:
        """GET /api/v1/images/<id>/<endpoint>; ``image`` a dataset name or a raw id segment."""
        image_id = self.ids.get(image, image) if isinstance(image, str) else image
        return fetch(self.url, f"/api/v1/images/{image_id}/{endpoint}", headers)


def png_size(body: bytes) -> tuple[int, int]:
    """(width, height) of a PNG body, fully decoded by Pillow."""
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "PNG"
        image.load()
        return image.size
