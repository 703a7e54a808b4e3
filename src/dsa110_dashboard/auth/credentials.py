"""Who may sign in: ``DSA110_DASH_BASIC_AUTH`` is one shared password, or the path of a
JSON file (``*.json``) mapping user names to passwords, read at every sign-in so that
edits apply without a restart. Passwords are compared in constant time.

The later roles, hashed passwords and API tokens replace ``check`` here; the session
store and the web glue only need a yes or no for a user name.
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path

from ..errors import ConfigError

_ENV = "DSA110_DASH_BASIC_AUTH"


class Credentials:
    def __init__(self, setting: str):
        self._setting = setting
        # The same rule as Settings.users_file (which files.DataRoots never serves).
        self.users_file = Path(setting).expanduser() if setting.endswith(".json") else None
        if self.users_file is not None:
            self._users()  # a missing or broken file stops start-up, naming the variable

    def check(self, user: str, password: str) -> bool:
        """Whether ``password`` is right for ``user`` (any non-empty name with the shared
        password)."""
        if not user:
            return False
        if self.users_file is None:
            expected = self._setting
        else:
            users = self._users()
            # An unknown name costs the same comparison as a known one.
            expected = users.get(user, "\0" + self._setting)
        return hmac.compare_digest(password.encode("utf-8", "surrogatepass"),
                                   expected.encode("utf-8", "surrogatepass"))

    def _users(self) -> dict[str, str]:
        try:
            users = json.loads(self.users_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{_ENV}: cannot read the users file {self.users_file} "
                              f"({exc.strerror})") from None
        except ValueError as exc:
            raise ConfigError(f"{_ENV}: the users file {self.users_file} is not JSON "
                              f"({exc})") from None
        if not (isinstance(users, dict)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in users.items())):
            raise ConfigError(f"{_ENV}: the users file {self.users_file} must map user "
                              "names to passwords (a JSON object of strings)")
        return users
