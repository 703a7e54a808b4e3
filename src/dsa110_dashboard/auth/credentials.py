"""Who may sign in: ``DSA110_DASH_BASIC_AUTH`` is one shared password's Argon2 hash, or
the path of a JSON file (``*.json``) mapping user names to Argon2 hashes, read at every
sign-in so that edits apply without a restart (decision 0045).

A clear-text password (the shared one, or any entry of the file) stops start-up with a
message saying how to hash it. An entry edited in clear text while the server runs fails
that user's sign-in (logged as an error), never anyone else's.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import ConfigError
from . import passwords

log = logging.getLogger(__name__)
_ENV = "DSA110_DASH_BASIC_AUTH"


class Credentials:
    def __init__(self, setting: str):
        self._setting = setting
        # The same rule as Settings.users_file (which files.DataRoots never serves).
        self.users_file = Path(setting).expanduser() if setting.endswith(".json") else None
        if self.users_file is None:
            if not passwords.is_hash(setting):
                raise ConfigError(
                    f"{_ENV}: the shared password must be stored as its Argon2 hash, not "
                    "in clear: set it to the output of `dsa110-dash users hash`, or name a "
                    "users file (*.json) written by `dsa110-dash users set NAME`")
            return
        clear = passwords.clear_text_entries(self._users())
        if clear:
            shown = ", ".join(clear[:10]) + (" ..." if len(clear) > 10 else "")
            raise ConfigError(f"{_ENV}: the users file {self.users_file} holds clear-text "
                              f"passwords for {shown}; {passwords.HOW_TO_HASH}")

    def check(self, user: str, password: str) -> bool:
        """Whether ``password`` is right for ``user`` (any non-empty name with the shared
        password). Blocking: an Argon2 verification takes a good part of a second."""
        if not user:
            return False
        if self.users_file is None:
            return passwords.verify(self._setting, password)
        stored = self._users().get(user)
        if stored is None:
            return passwords.verify_nobody(password)
        if not passwords.is_hash(stored):
            log.error("%s: the users file entry of %r is not a hash; sign-in refused; %s",
                      _ENV, user, passwords.HOW_TO_HASH)
            return passwords.verify_nobody(password)
        return passwords.verify(stored, password)

    def _users(self) -> dict[str, str]:
        try:
            return passwords.read_users(self.users_file)
        except OSError as exc:
            raise ConfigError(f"{_ENV}: cannot read the users file {self.users_file} "
                              f"({exc.strerror})") from None
        except ValueError as exc:
            raise ConfigError(f"{_ENV}: the users file {self.users_file} is not usable: "
                              f"{exc}") from None
