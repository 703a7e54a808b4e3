"""``dsa110-dash users set|remove|hash``: the users file holds Argon2 hashes only.

The password is asked twice at the terminal (never on the command line, where other
users see it in the process list), or read from the first line of standard input with
``--password-stdin`` for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..errors import ConfigError, DashboardError, InvalidInputError
from ..settings import Settings
from .actions import action_group


def register(sub: argparse._SubParsersAction) -> None:
    inner = action_group(
        sub, "users", help="who may sign in: set or remove a user's password hash",
        description="Manage the users file of DSA110_DASH_BASIC_AUTH (a *.json file "
                    "mapping user names to Argon2 password hashes). Roles are "
                    "DSA110_DASH_ROLES.")

    set_ = inner.add_parser("set", help="add a user or change a password",
                            description="Write NAME's Argon2 hash into the users file "
                                        "(created if missing, mode 0600). The server "
                                        "reads it at the next sign-in.")
    set_.add_argument("name", metavar="NAME")
    _password_options(set_)
    set_.add_argument("--file", type=Path, metavar="PATH",
                      help="the users file (default: DSA110_DASH_BASIC_AUTH)")
    set_.set_defaults(handler=_set)

    remove = inner.add_parser("remove", help="remove a user from the users file")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--file", type=Path, metavar="PATH",
                        help="the users file (default: DSA110_DASH_BASIC_AUTH)")
    remove.set_defaults(handler=_remove)

    hash_ = inner.add_parser("hash", help="print a password's hash (for a shared password)",
                             description="Print the Argon2 hash of a password, for "
                                         "DSA110_DASH_BASIC_AUTH's shared-password mode.")
    _password_options(hash_)
    hash_.set_defaults(handler=_hash)


def _password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise InvalidInputError("the two passwords differ", parameter="password")
    if not password:
        raise InvalidInputError("the password is empty", parameter="password")
    return password


def _users_file(args: argparse.Namespace, settings: Settings) -> Path:
    path = args.file or settings.users_file
    if path is None:
        raise ConfigError("DSA110_DASH_BASIC_AUTH does not name a users file (*.json); "
                          "set it, or give --file")
    if path.suffix != ".json":
        raise InvalidInputError(f"{path}: a users file's name ends in .json",
                                parameter="file")
    return path


def _set(args: argparse.Namespace, settings: Settings) -> int:
    from ..auth.passwords import set_user

    path = _users_file(args, settings)
    password = read_password(args.password_stdin)
    try:
        new = set_user(path, args.name, password)
    except ValueError as exc:
        raise InvalidInputError(f"{path}: {exc}", parameter="name") from None
    except OSError as exc:
        raise ConfigError(f"cannot write the users file {path} ({exc.strerror})") from None
    print(f"{'added' if new else 'changed the password of'} {args.name} in {path}")
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from ..auth.passwords import remove_user

    path = _users_file(args, settings)
    try:
        removed = remove_user(path, args.name)
    except ValueError as exc:
        raise InvalidInputError(f"{path}: {exc}", parameter="file") from None
    except OSError as exc:
        raise ConfigError(f"cannot change the users file {path} ({exc.strerror})") from None
    if not removed:
        print(f"{args.name} is not in {path}", file=sys.stderr)
        return 1
    print(f"removed {args.name} from {path}; {_end_sessions(settings, args.name)}")
    return 0


def _end_sessions(settings: Settings, name: str) -> str:
    """Sign the removed user out everywhere, if the sign-in store is there to ask."""
    from ..auth.store import SessionStore

    if settings.auth_db_file is not None and not settings.auth_db_file.exists():
        return "no sign-in store yet, so no open sessions"
    store = SessionStore.for_settings(settings)
    try:
        store.prepare()
        ended = store.revoke_user(name)
    except DashboardError as exc:
        return (f"their open sessions could not be ended ({exc.user_message}); they end "
                f"within DSA110_DASH_SESSION_HOURS")
    finally:
        store.dispose()
    return f"ended {ended} open session(s)"


def _hash(args: argparse.Namespace, settings: Settings) -> int:
    from ..auth.passwords import hash_password

    print(hash_password(read_password(args.password_stdin)))
    return 0
