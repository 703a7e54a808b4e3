"""HTTP helpers for the API tests: requests with headers, answers with headers, and raw
sockets that send a request and never read (a stalled client)."""

from __future__ import annotations

import io
import json
import select
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message

from PIL import Image

WAIT = 30.0  # seconds: the most a wait for the server lasts before the test fails


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


def stall(url: str, path: str, n: int) -> list[socket.socket]:
    """``n`` connections that send GET ``path`` and never read."""
    parts = urllib.parse.urlsplit(url)
    socks = []
    for _ in range(n):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((parts.hostname, parts.port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        socks.append(sock)
    return socks


def wait_answered(socks: list[socket.socket]) -> None:
    """Until the server has started answering every socket (or WAIT has passed)."""
    pending, deadline = list(socks), time.monotonic() + WAIT
    while pending and time.monotonic() < deadline:
        ready, _, _ = select.select(pending, [], [], deadline - time.monotonic())
        pending = [s for s in pending if s not in ready]


def status_of(sock: socket.socket) -> tuple[int, str]:
    sock.settimeout(WAIT)
    head = sock.recv(4096).decode("latin-1")
    return int(head.split(" ", 2)[1]), head


def wait_for(condition, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT:g} s: {what}"
        time.sleep(0.1)
