"""Roles: what a signed-in user (or an API token) may do.

viewer < operator < admin. Operators rerun and cancel jobs, start and cancel batches and
clear caches; admins also manage API tokens. Which users hold which role is the
``DSA110_DASH_ROLES`` setting; while sign-in is off every visitor has
``DSA110_DASH_OPEN_ACCESS_ROLE`` (viewer unless the deployment says otherwise).
"""

from __future__ import annotations

import enum

from ..settings import Settings, _str_list


class Role(enum.IntEnum):
    VIEWER = 0
    OPERATOR = 1
    ADMIN = 2

    @classmethod
    def parse(cls, name: str) -> Role:
        return cls[name.strip().upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


def role_table(settings: Settings) -> dict[str, Role]:
    table: dict[str, Role] = {}
    for pair in _str_list(settings.roles):
        user, _, role = pair.partition("=")
        table[user.strip()] = Role.parse(role)
    return table


def role_of(user: str | None, settings: Settings) -> Role:
    """The role of a signed-in ``user``; ``None`` means sign-in is off (open access)."""
    if user is None:
        return Role.parse(settings.open_access_role)
    return role_table(settings).get(user, Role.VIEWER)
