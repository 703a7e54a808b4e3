"""Sign-in through an OAuth/OIDC provider, done by Panel (decision 0063).

Panel's own OAuth support (``pn.serve(oauth_provider=...)``) runs the flow: ``/login``
sends the browser to the provider, takes the code back, asks the token endpoint and the
userinfo endpoint, and keeps the user's name in a signed ``user`` cookie (the provider's
tokens beside it, encrypted when a key is set). Here: the settings checked at start-up
(each problem names its variable), the options handed to ``pn.serve``, and the one
reading of that cookie that the endpoints and pages share, so roles come from
``DSA110_DASH_ROLES`` by the same user name.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tornado.web import RequestHandler, decode_signed_value

from ..errors import ConfigError
from ..settings import Settings

#: Panel's cookie that holds the signed-in user's name.
USER_COOKIE = "user"
#: The generic provider cannot guess its endpoints.
GENERIC_NEEDS = ("AUTHORIZE_URL", "TOKEN_URL")


@dataclass(frozen=True)
class OAuthSignIn:
    provider: str
    key: str
    secret: str
    cookie_secret: str
    extra_params: dict[str, Any] = field(default_factory=dict)
    redirect_uri: str | None = None
    encryption_key: bytes | None = None
    lifetime_days: float = 0.5

    def user(self, handler: RequestHandler) -> str | None:
        """The signed-in user of this request (an endpoint's), else None."""
        raw = handler.get_signed_cookie(USER_COOKIE, max_age_days=self.lifetime_days)
        return _text(raw)

    def user_from_cookies(self, cookies: Mapping[str, str] | None) -> str | None:
        """The same, from a page session's cookies."""
        raw = (cookies or {}).get(USER_COOKIE)
        if not raw:
            return None
        return _text(decode_signed_value(self.cookie_secret, USER_COOKIE, raw,
                                         max_age_days=self.lifetime_days))

    def serve_options(self) -> dict[str, Any]:
        """What ``pn.serve`` needs to run the flow."""
        return {"oauth_provider": self.provider, "oauth_key": self.key,
                "oauth_secret": self.secret, "oauth_extra_params": dict(self.extra_params),
                "oauth_redirect_uri": self.redirect_uri,
                "cookie_secret": self.cookie_secret}

    def install(self) -> None:
        """Settings that ``pn.serve`` does not pass on itself: the tokens' encryption and
        how long Panel's cookies last (our session lifetime)."""
        from panel.config import config
        from panel.io.state import state

        config.oauth_expiry = self.lifetime_days
        if self.encryption_key is not None:
            from cryptography.fernet import Fernet

            config.oauth_encryption_key = self.encryption_key
            state.encryption = Fernet(self.encryption_key)


def _text(raw: bytes | None) -> str | None:
    if not raw:
        return None
    try:
        return raw.decode("utf-8") or None
    except UnicodeDecodeError:
        return None


def providers() -> tuple[str, ...]:
    from panel.auth import AUTH_PROVIDERS

    return tuple(sorted(AUTH_PROVIDERS))


def oauth_sign_in(settings: Settings) -> OAuthSignIn | None:
    """The OAuth sign-in the settings ask for, else None; a ConfigError naming the
    variable for anything missing or wrong."""
    name = settings.oauth_provider
    if not name:
        return None
    known = providers()
    if name not in known or name == "password":
        choices = ", ".join(p for p in known if p != "password")
        raise ConfigError(f"DSA110_DASH_OAUTH_PROVIDER: {name!r} is not a provider Panel "
                          f"supports (one of {choices})")
    if settings.basic_auth:
        raise ConfigError("DSA110_DASH_OAUTH_PROVIDER: sign-in is either a provider or "
                          "the users file; unset DSA110_DASH_BASIC_AUTH or this one")
    if not settings.oauth_key:
        raise ConfigError("DSA110_DASH_OAUTH_KEY: must be set to the client id registered "
                          f"with the {name} provider")
    secret = _secret(settings)
    if not settings.cookie_secret:
        raise ConfigError("DSA110_DASH_COOKIE_SECRET: must be set when "
                          "DSA110_DASH_OAUTH_PROVIDER is (it signs the sign-in cookie)")
    extra = json.loads(settings.oauth_extra_params) if settings.oauth_extra_params else {}
    if name == "generic":
        missing = [k for k in GENERIC_NEEDS if not extra.get(k)]
        if missing:
            raise ConfigError(f"DSA110_DASH_OAUTH_EXTRA_PARAMS: the generic provider needs "
                              f"{' and '.join(missing)} (and USER_URL for a userinfo "
                              "endpoint)")
    for key in ("AUTHORIZE_URL", "TOKEN_URL", "USER_URL", "LOGOUT_URL"):
        value = extra.get(key)
        if value is not None and not (isinstance(value, str)
                                      and value.startswith(("http://", "https://"))):
            raise ConfigError(f"DSA110_DASH_OAUTH_EXTRA_PARAMS: {key} must be an http(s) "
                              f"URL, not {value!r}")
    redirect = settings.oauth_redirect_uri
    if redirect and not redirect.startswith(("http://", "https://")):
        raise ConfigError("DSA110_DASH_OAUTH_REDIRECT_URI: must be this server's /login "
                          f"URL as the browser sees it (https://host/login), not {redirect!r}")
    return OAuthSignIn(provider=name, key=settings.oauth_key, secret=secret,
                       cookie_secret=settings.cookie_secret, extra_params=extra,
                       redirect_uri=redirect or None,
                       encryption_key=_encryption_key(settings.oauth_encryption_key),
                       lifetime_days=settings.session_hours / 24.0)


def _secret(settings: Settings) -> str:
    if settings.oauth_secret and settings.oauth_secret_file:
        raise ConfigError("DSA110_DASH_OAUTH_SECRET_FILE: set the client secret or its "
                          "file, not both (DSA110_DASH_OAUTH_SECRET is set too)")
    if settings.oauth_secret_file:
        try:
            lines = settings.oauth_secret_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"DSA110_DASH_OAUTH_SECRET_FILE: cannot read "
                              f"{settings.oauth_secret_file}: {exc}") from None
        secret = lines[0].strip() if lines else ""
        if not secret:
            raise ConfigError(f"DSA110_DASH_OAUTH_SECRET_FILE: "
                              f"{settings.oauth_secret_file} is empty")
        return secret
    if not settings.oauth_secret:
        raise ConfigError("DSA110_DASH_OAUTH_SECRET: must be set (or "
                          "DSA110_DASH_OAUTH_SECRET_FILE) to the provider's client secret")
    return settings.oauth_secret


def _encryption_key(raw: str | None) -> bytes | None:
    if not raw:
        return None
    key = raw.strip().encode("ascii", "replace")
    try:
        decoded = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 32:
        raise ConfigError("DSA110_DASH_OAUTH_ENCRYPTION_KEY: must be 32 url-safe base64 "
                          "bytes (make one with `panel oauth-secret`)")
    return key
