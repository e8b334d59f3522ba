"""Typed rows of the accounts domain."""

from __future__ import annotations

import sqlite3

import msgspec


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    name: str
    is_admin: bool
    created_at: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> User:
        return cls(
            id=row["id"],
            email=row["email"],
            name=row["name"],
            is_admin=bool(row["is_admin"]),
            created_at=row["created_at"],
        )


class ApiToken(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    prefix: str
    created_at: int


class NewToken(msgspec.Struct, frozen=True, kw_only=True):
    """A token as created: the secret is shown once and never stored."""

    token: str
    info: ApiToken


class NewSession(msgspec.Struct, frozen=True, kw_only=True):
    """A dashboard session as created: its cookie secret (stored only as a hash) and CSRF token."""

    secret: str
    csrf_token: str


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is making a request, and through which credential."""

    user: User
    token_id: int | None = None
    login_session_id: int | None = None
    csrf_token: str | None = None
