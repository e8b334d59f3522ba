"""Users: creation with validation, password checks, listing.

Password hashing is deliberately slow, so it runs on a worker thread before the write is
queued: the writer thread only ever inserts the finished hash.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3

from appliance.accounts import secrets
from appliance.accounts.models import User
from appliance.clock import now_ms
from appliance.db import Database
from appliance.errors import Invalid

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_NAME = 200
MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_USER_COLUMNS = "id, email, name, is_admin, created_at"


def email_errors(email: str) -> list[str]:
    if not email:
        return ["The email field is required."]
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        return ["The email must be a valid email address."]
    return []


def password_errors(password: str) -> list[str]:
    if not password:
        return ["The password field is required."]
    if len(password) < MIN_PASSWORD:
        return [f"The password must be at least {MIN_PASSWORD} characters."]
    if len(password) > MAX_PASSWORD:
        return [f"The password may not be greater than {MAX_PASSWORD} characters."]
    return []


def check_new_user(email: str, password: str, name: str) -> None:
    """Raise Invalid with every problem of a would-be user at once."""
    errors = {"email": email_errors(email), "password": password_errors(password)}
    if len(name) > MAX_NAME:
        errors["name"] = [f"The name may not be greater than {MAX_NAME} characters."]
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise Invalid(errors)


def insert_user(
    conn: sqlite3.Connection, *, email: str, name: str, password_hash: str, is_admin: bool = False
) -> User:
    """Write function: insert a user whose fields were checked and password hashed."""
    if conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
        raise Invalid.field("email", "The email has already been taken.")
    row = conn.execute(
        f"INSERT INTO users (email, name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?) "
        f"RETURNING {_USER_COLUMNS}",
        (email, name, password_hash, int(is_admin), now_ms()),
    ).fetchone()
    return User.from_row(row)


async def create_user(
    db: Database, *, email: str, password: str, name: str = "", is_admin: bool = False
) -> User:
    email, name = email.strip(), name.strip()
    check_new_user(email, password, name)
    password_hash = await asyncio.to_thread(secrets.hash_password, password)
    return await db.write(
        lambda conn: insert_user(conn, email=email, name=name, password_hash=password_hash, is_admin=is_admin)
    )


async def authenticate(db: Database, email: str, password: str) -> User | None:
    """The user with these credentials, or None. Takes as long whether or not the email exists."""
    row = await db.fetchone(
        f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE email = ?", (email.strip(),)
    )
    stored = row["password_hash"] if row else None
    if not await asyncio.to_thread(secrets.verify_password, stored, password):
        return None
    return User.from_row(row) if row else None


async def get_user(db: Database, user_id: int) -> User | None:
    row = await db.fetchone(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
    return User.from_row(row) if row else None


def find_user(conn: sqlite3.Connection, email: str) -> User | None:
    row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE email = ?", (email.strip(),)).fetchone()
    return User.from_row(row) if row else None


def list_users(conn: sqlite3.Connection) -> list[User]:
    return [User.from_row(r) for r in conn.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY id")]


def count_users(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])


def set_password_hash(conn: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    """Write function: replace a password and sign the user out everywhere."""
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
    conn.execute("DELETE FROM login_sessions WHERE user_id = ?", (user_id,))
