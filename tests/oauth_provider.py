"""A tiny OAuth2/OIDC provider for the sign-in tests (no internet): an authorize
endpoint that signs in a fixed user at once and redirects back with a code, a token
endpoint that trades the code (checking the client's id, secret and redirect URI) for an
access token, and a userinfo endpoint that names the user for that token."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "dsa110-dashboard"
CLIENT_SECRET = "s3cret-for-tests"


@dataclass
class FakeProvider:
    user: dict
    codes: dict[str, str] = field(default_factory=dict)       # code -> redirect_uri
    tokens: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def extra_params(self, **more: str) -> dict:
        return {"AUTHORIZE_URL": f"{self.url}/authorize", "TOKEN_URL": f"{self.url}/token",
                "USER_URL": f"{self.url}/userinfo", **more}

    def start(self) -> FakeProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def reply(self, status: int, body: dict | None = None,
                      headers: dict | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                provider.calls.append(parts.path)
                if parts.path == "/authorize":
                    if query.get("client_id") != CLIENT_ID or "redirect_uri" not in query:
                        return self.reply(400, {"error": "invalid_request"})
                    code = secrets.token_urlsafe(8)
                    provider.codes[code] = query["redirect_uri"]
                    back = urlencode({"code": code, "state": query.get("state", "")})
                    sep = "&" if "?" in query["redirect_uri"] else "?"
                    return self.reply(302, headers={
                        "Location": f"{query['redirect_uri']}{sep}{back}"})
                if parts.path == "/userinfo":
                    scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
                    if scheme.lower() != "bearer" or token not in provider.tokens:
                        return self.reply(401, {"error": "invalid_token"})
                    return self.reply(200, provider.user)
                self.reply(404, {"error": "not_found"})

            def do_POST(self) -> None:
                provider.calls.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != "/token":
                    return self.reply(404, {"error": "not_found"})
                if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID,
                                                                        CLIENT_SECRET):
                    return self.reply(401, {"error": "invalid_client"})
                redirect = provider.codes.pop(form.get("code", ""), None)
                if redirect is None or redirect != form.get("redirect_uri"):
                    return self.reply(400, {"error": "invalid_grant"})
                token = secrets.token_urlsafe(16)
                provider.tokens.add(token)
                self.reply(200, {"access_token": token, "token_type": "Bearer",
                                 "expires_in": 3600})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
