"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 12  # ASVS 5.0 level 1: at least 12 characters, no composition rules
# A hash to verify against when the user does not exist, so that a wrong name costs the same
# time as a wrong password.
_DUMMY = _hasher.hash("not-a-password-anyone-has")


class WeakPassword(ValueError):
    pass


def check_strength(password: str, *, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > 256:
        raise WeakPassword("a password may have at most 256 characters")
    if username and password.lower() == username.lower():
        raise WeakPassword("the password must not be the user name")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
