"""Hashing of secrets at rest.

Passwords are low-entropy: argon2id. Tokens are 256 random bits: SHA-256 is enough to make
a stolen database useless for logging in, and it keeps the per-request lookup cheap.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so that the answer takes as long.
_DUMMY = _hasher.hash("almanac-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    """A fresh secret like `alm_3q...`: the prefix tells what kind of secret it is."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
