"""Who makes an API request, and with which role (decision 0047).

One of: an API token (``Authorization: Bearer``), a sign-in session (the cookie), or
nobody in particular while sign-in is off (open access, ``DSA110_DASH_OPEN_ACCESS_ROLE``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .roles import Role

TOKEN = "token"
SESSION = "session"
#: The wall display's exemption from sign-in (decision 0062): a viewer of its endpoints.
WALL = "wall"
OPEN = "open"


@dataclass(frozen=True)
class Identity:
    #: The user or token name; None for open access.
    name: str | None
    role: Role
    via: str

    @property
    def authenticated(self) -> bool:
        """Proved who they are (a session or a token): they see server paths."""
        return self.via in (TOKEN, SESSION)

    @property
    def actor_name(self) -> str:
        """The name in the audit table: a token speaks as ``token:<name>``."""
        if self.via == TOKEN:
            return f"token:{self.name}"
        return self.name or "anonymous"
