"""API tokens (Authorization: Bearer) and dashboard login sessions (HttpOnly cookie).

Both are random secrets handed out once and stored only as SHA-256 digests.
"""

from __future__ import annotations

import secrets as stdlib_secrets
import sqlite3

from appliance.accounts import secrets
from appliance.accounts.models import ApiToken, Caller, NewToken, User
from appliance.clock import now_ms
from appliance.db import Database
from appliance.errors import Invalid, NotFound

TOKEN_PREFIX = "alm"
SESSION_PREFIX = "als"
MAX_TOKEN_NAME = 100
DAY_MS = 86_400_000


def insert_token(conn: sqlite3.Connection, user_id: int, name: str = "") -> NewToken:
    """Write function: a new API token for the user; the secret is in the result only."""
    name = name.strip()
    if len(name) > MAX_TOKEN_NAME:
        raise Invalid.field("name", f"The name may not be greater than {MAX_TOKEN_NAME} characters.")
    token = secrets.new_token(TOKEN_PREFIX)
    prefix = token[: len(TOKEN_PREFIX) + 7]
    created = now_ms()
    token_id = conn.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)",
        (user_id, name, secrets.digest(token), prefix, created),
    ).lastrowid
    assert token_id is not None
    return NewToken(token=token, info=ApiToken(id=token_id, name=name, prefix=prefix, created_at=created))


async def create_token(db: Database, user_id: int, name: str = "") -> NewToken:
    return await db.write(lambda conn: insert_token(conn, user_id, name))


async def list_tokens(db: Database, user_id: int) -> list[ApiToken]:
    rows = await db.fetchall(
        "SELECT id, name, prefix, created_at FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL "
        "ORDER BY id",
        (user_id,),
    )
    return [
        ApiToken(id=r["id"], name=r["name"], prefix=r["prefix"], created_at=r["created_at"]) for r in rows
    ]


async def revoke_token(db: Database, user_id: int, token_id: int) -> None:
    def revoke(conn: sqlite3.Connection) -> None:
        cursor = conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
            (now_ms(), token_id, user_id),
        )
        if cursor.rowcount == 0:
            raise NotFound("Token not found.")

    await db.write(revoke)


_CALLER_COLUMNS = "u.id, u.email, u.name, u.is_admin, u.created_at"


async def caller_for_token(db: Database, token: str) -> Caller | None:
    row = await db.fetchone(
        f"SELECT {_CALLER_COLUMNS}, t.id AS token_id FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        (secrets.digest(token),),
    )
    return Caller(user=User.from_row(row), token_id=row["token_id"]) if row else None


def insert_login_session(conn: sqlite3.Connection, user_id: int, days: int) -> tuple[str, str]:
    """Write function: a new dashboard session; returns (session secret, CSRF token)."""
    session = secrets.new_token(SESSION_PREFIX)
    csrf = stdlib_secrets.token_urlsafe(24)
    created = now_ms()
    conn.execute(
        "INSERT INTO login_sessions (user_id, session_hash, csrf_token, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (user_id, secrets.digest(session), csrf, created, created + days * DAY_MS),
    )
    # Expired sessions are swept whenever a new one starts: logins are rare, so this is cheap.
    conn.execute("DELETE FROM login_sessions WHERE expires_at < ?", (created,))
    return session, csrf


async def caller_for_session(db: Database, session: str) -> Caller | None:
    row = await db.fetchone(
        f"SELECT {_CALLER_COLUMNS}, s.id AS session_id, s.csrf_token FROM login_sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.session_hash = ? AND s.expires_at > ?",
        (secrets.digest(session), now_ms()),
    )
    if row is None:
        return None
    return Caller(user=User.from_row(row), login_session_id=row["session_id"], csrf_token=row["csrf_token"])


async def sign_out(db: Database, caller: Caller) -> None:
    """Revoke the credential the caller used: its API token, or its login session."""

    def revoke(conn: sqlite3.Connection) -> None:
        if caller.token_id is not None:
            conn.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now_ms(), caller.token_id),
            )
        if caller.login_session_id is not None:
            conn.execute("DELETE FROM login_sessions WHERE id = ?", (caller.login_session_id,))

    await db.write(revoke)
