"""Password hashes (Argon2id, argon2-cffi) and the users file that holds them.

The users file (``DSA110_DASH_BASIC_AUTH=/path/users.json``) maps user names to Argon2
hashes, never to passwords (decision 0045). ``dsa110-dash users set NAME`` writes an
entry; the server refuses to start while any entry is not a hash. Knows no Panel.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # RFC 9106's second recommended profile (argon2-cffi's default)
_PREFIXES = ("$argon2id$", "$argon2i$", "$argon2d$")
_dummy: str | None = None


def hash_password(password: str, hasher: PasswordHasher = _HASHER) -> str:
    if not password:
        raise ValueError("the password is empty")
    return hasher.hash(password)


def is_hash(text: str) -> bool:
    """Whether ``text`` is an Argon2 hash string (not a password someone typed in)."""
    return isinstance(text, str) and text.startswith(_PREFIXES) and text.count("$") >= 5


def verify(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (False for a malformed hash)."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nobody(password: str) -> bool:
    """Spend the time of one verification and say no: an unknown user name costs what a
    known one does, so timing does not tell which names exist."""
    global _dummy
    if _dummy is None:
        _dummy = _HASHER.hash("no user has this password")
    verify(_dummy, password)
    return False


def clear_text_entries(users: dict[str, str]) -> list[str]:
    """Names whose entry is not an Argon2 hash."""
    return sorted(name for name, value in users.items() if not is_hash(value))


HOW_TO_HASH = ("store hashes, not passwords: run `dsa110-dash users set NAME` for each "
               "(it asks for the password and writes its Argon2 hash into the file)")


def read_users(path: Path) -> dict[str, str]:
    """The users file as a dict; raises OSError or ValueError (not JSON, wrong shape)."""
    users = json.loads(path.read_text(encoding="utf-8"))
    if not (isinstance(users, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in users.items())):
        raise ValueError("it must map user names to password hashes (a JSON object of "
                         "strings)")
    return users


def set_user(path: Path, name: str, password: str) -> bool:
    """Write ``name``'s hash into the users file (created if missing, mode 0600),
    replacing the file atomically. True when the user was new."""
    if not name or name != name.strip() or any(ord(c) < 32 for c in name) or len(name) > 256:
        raise ValueError(f"{name!r} is not a user name (no surrounding spaces or control "
                         "characters, at most 256 characters)")
    users = read_users(path) if path.exists() else {}
    new = name not in users
    users[name] = hash_password(password)
    write_users(path, users)
    return new


def remove_user(path: Path, name: str) -> bool:
    users = read_users(path)
    if users.pop(name, None) is None:
        return False
    write_users(path, users)
    return True


def write_users(path: Path, users: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(users, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.chmod(tmp, 0o600)  # hashes are not passwords, but they can be attacked offline
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
