"""Argon2 hashes for tests: the real format and verification, at a cost low enough that
a suite of sign-ins stays quick (the hash carries its own parameters)."""

from argon2 import PasswordHasher

_QUICK = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


def quick_hash(password: str) -> str:
    return _QUICK.hash(password)
