"""A site's team: members with roles, and invitations to join it.

An invitation is a random token, handed out once and stored only as a SHA-256 digest. It
is good for one acceptance before it expires; inviting the same email again replaces it.
Every site keeps at least one owner: the last one can be neither removed nor demoted.

Nothing sends email yet: whoever invites passes the token (or the dashboard link that
carries it) on to the invitee themselves.
"""

from __future__ import annotations

import asyncio
import sqlite3

import msgspec

from appliance.accounts import credentials, secrets, users
from appliance.accounts.models import NewSession, User
from appliance.clock import now_ms
from appliance.db import Database
from appliance.errors import Forbidden, Invalid, NotFound, Unauthenticated
from appliance.sites.models import (
    RANK,
    ROLES,
    Acceptance,
    Invitation,
    InvitationPreview,
    Member,
    NewInvitation,
    Role,
    Team,
)

INVITATION_PREFIX = "ali"
DAY_MS = 86_400_000

_INVITATION_COLUMNS = "id, site_id, email, role, created_at, expires_at"
_GONE = "This invitation does not exist, has expired or has already been accepted."


def _invitation(row: sqlite3.Row) -> Invitation:
    return Invitation(
        id=row["id"],
        site_id=row["site_id"],
        email=row["email"],
        role=row["role"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


def _member(row: sqlite3.Row) -> Member:
    return Member(id=row["id"], name=row["name"], email=row["email"], role=row["role"])


def _role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    if not role:
        raise Invalid.field("role", "The role field is required.")
    raise Invalid.field("role", f"The role must be one of: {', '.join(ROLES)}.")


def _same_email(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


async def team(db: Database, site_id: int) -> Team:
    """The site's members (by user id) and its pending, unexpired invitations (oldest first)."""
    members = await db.fetchall(
        "SELECT u.id, u.name, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE m.site_id = ? ORDER BY u.id",
        (site_id,),
    )
    pending = await db.fetchall(
        f"SELECT {_INVITATION_COLUMNS} FROM invitations "
        "WHERE site_id = ? AND accepted_at IS NULL AND expires_at > ? ORDER BY id",
        (site_id, now_ms()),
    )
    return Team(members=[_member(r) for r in members], invitations=[_invitation(r) for r in pending])


async def invite(
    db: Database, site_id: int, invited_by: User, email: str, role: str, *, days: int
) -> NewInvitation:
    """A new invitation to join the site with `role`, good for `days` days.

    It replaces any earlier invitation of the same email to the same site, so only the
    newest token works. Inviting someone who is already a member is an error on `email`.
    """
    email = email.strip()
    errors: dict[str, list[str]] = {}
    if messages := users.email_errors(email):
        errors["email"] = messages
    try:
        checked_role = _role(role)
    except Invalid as exc:
        errors |= exc.errors
    if errors:
        raise Invalid(errors)
    token = secrets.new_token(INVITATION_PREFIX)

    def insert(conn: sqlite3.Connection) -> NewInvitation:
        member = conn.execute(
            "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.site_id = ? AND u.email = ?",
            (site_id, email),
        ).fetchone()
        if member:
            raise Invalid.field("email", "This person is already a member of the site.")
        created = now_ms()
        # The replaced invitation goes, and expired ones with it: invitations are rare, so this is cheap.
        conn.execute(
            "DELETE FROM invitations WHERE site_id = ? AND accepted_at IS NULL AND (email = ? OR expires_at <= ?)",
            (site_id, email, created),
        )
        row = conn.execute(
            "INSERT INTO invitations (site_id, email, role, token_hash, invited_by, created_at, expires_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_INVITATION_COLUMNS}",
            (
                site_id,
                email,
                checked_role,
                secrets.digest(token),
                invited_by.id,
                created,
                created + days * DAY_MS,
            ),
        ).fetchone()
        return NewInvitation(token=token, invitation=_invitation(row))

    return await db.write(insert)


async def cancel_invitation(db: Database, site_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation of the site; NotFound if there is none with that id."""

    def delete(conn: sqlite3.Connection) -> None:
        cursor = conn.execute(
            "DELETE FROM invitations WHERE id = ? AND site_id = ? AND accepted_at IS NULL",
            (invitation_id, site_id),
        )
        if cursor.rowcount == 0:
            raise NotFound("Invitation not found.")

    await db.write(delete)


async def preview_invitation(db: Database, token: str) -> InvitationPreview:
    """What a token invites to, for the page that accepts it; NotFound unless it is usable."""
    row = await db.fetchone(
        "SELECT i.site_id, s.name AS site_name, s.domain AS site_domain, i.email, i.role, i.expires_at, "
        "EXISTS (SELECT 1 FROM users u WHERE u.email = i.email) AS account_exists "
        "FROM invitations i JOIN sites s ON s.id = i.site_id "
        "WHERE i.token_hash = ? AND i.accepted_at IS NULL AND i.expires_at > ?",
        (secrets.digest(token), now_ms()),
    )
    if row is None:
        raise NotFound(_GONE)
    return InvitationPreview(
        site_id=row["site_id"],
        site_name=row["site_name"],
        site_domain=row["site_domain"],
        email=row["email"],
        role=row["role"],
        expires_at=row["expires_at"],
        account_exists=bool(row["account_exists"]),
    )


def _usable_invitation(conn: sqlite3.Connection, token: str) -> Invitation:
    row = conn.execute(
        f"SELECT {_INVITATION_COLUMNS} FROM invitations "
        "WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?",
        (secrets.digest(token), now_ms()),
    ).fetchone()
    if row is None:
        raise NotFound(_GONE)
    return _invitation(row)


def _join(conn: sqlite3.Connection, invitation: Invitation, user_id: int) -> Role:
    """Write function: make the user a member as invited and consume the invitation.

    Someone who is already a member keeps the higher of the two roles: accepting an
    invitation never demotes anyone (a demotion is an explicit role change).
    """
    current = conn.execute(
        "SELECT role FROM memberships WHERE site_id = ? AND user_id = ?", (invitation.site_id, user_id)
    ).fetchone()
    role: Role = invitation.role
    if current is not None and RANK[current["role"]] >= RANK[role]:
        role = current["role"]
    conn.execute(
        "INSERT INTO memberships (site_id, user_id, role, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (site_id, user_id) DO UPDATE SET role = excluded.role",
        (invitation.site_id, user_id, role, now_ms()),
    )
    conn.execute("UPDATE invitations SET accepted_at = ? WHERE id = ?", (now_ms(), invitation.id))
    return role


async def accept_invitation(
    db: Database,
    token: str,
    caller: User | None,
    *,
    name: str = "",
    password: str = "",
    session_days: int | None = None,
) -> Acceptance:
    """Join the site an invitation is for; returns the membership and, for a new account, how it
    is signed in.

    A signed-in caller joins if their email is the invited one (Forbidden otherwise). An
    anonymous caller creates the account with the invited email, `name` and `password`,
    unless an account with that email exists: then they must sign in (Unauthenticated). The new
    account is signed in, in the same transaction, with a dashboard session of `session_days`
    days, or with an API token when `session_days` is None.
    An unknown, expired or accepted token is NotFound. Someone who is already a member
    keeps the higher of their role and the invited one; the invitation is consumed.
    """
    if caller is not None:
        user = caller

        def join(conn: sqlite3.Connection) -> Acceptance:
            invitation = _usable_invitation(conn, token)
            if not _same_email(invitation.email, user.email):
                raise Forbidden(
                    "This invitation is for another email address: sign in as the invited person to accept it."
                )
            return Acceptance(site_id=invitation.site_id, role=_join(conn, invitation, user.id), user=user)

        return await db.write(join)

    preview = await preview_invitation(db, token)
    if preview.account_exists:
        raise Unauthenticated("An account with this email already exists: sign in to accept the invitation.")
    name = name.strip()
    errors = {"name": ["The name field is required."]} if not name else {}
    try:
        users.check_new_user(preview.email, password, name)
    except Invalid as exc:
        errors |= exc.errors
    if errors:
        raise Invalid(errors)
    password_hash = await asyncio.to_thread(secrets.hash_password, password)

    def sign_up(conn: sqlite3.Connection) -> Acceptance:
        invitation = _usable_invitation(conn, token)
        if users.find_user(conn, invitation.email) is not None:
            raise Unauthenticated(
                "An account with this email already exists: sign in to accept the invitation."
            )
        new_user = users.insert_user(conn, email=invitation.email, name=name, password_hash=password_hash)
        role = _join(conn, invitation, new_user.id)
        accepted = Acceptance(site_id=invitation.site_id, role=role, user=new_user)
        if session_days is not None:
            secret, csrf = credentials.insert_login_session(conn, new_user.id, session_days)
            return msgspec.structs.replace(accepted, session=NewSession(secret=secret, csrf_token=csrf))
        new_token = credentials.insert_token(conn, new_user.id, "invitation")
        return msgspec.structs.replace(accepted, token=new_token)

    return await db.write(sign_up)


def _membership(conn: sqlite3.Connection, site_id: int, user_id: int) -> Member:
    row = conn.execute(
        "SELECT u.id, u.name, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE m.site_id = ? AND m.user_id = ?",
        (site_id, user_id),
    ).fetchone()
    if row is None:
        raise NotFound("Member not found.")
    return _member(row)


def _is_last_owner(conn: sqlite3.Connection, site_id: int, member: Member) -> bool:
    if member.role != "owner":
        return False
    owners = conn.execute(
        "SELECT count(*) FROM memberships WHERE site_id = ? AND role = 'owner'", (site_id,)
    ).fetchone()[0]
    return int(owners) <= 1


async def change_role(db: Database, site_id: int, user_id: int, role: str) -> Member:
    """Give a member another role; the site's last owner cannot be demoted."""
    new_role = _role(role)

    def update(conn: sqlite3.Connection) -> Member:
        member = _membership(conn, site_id, user_id)
        if new_role != "owner" and _is_last_owner(conn, site_id, member):
            raise Invalid.field(
                "role", "The last owner of a site cannot be demoted: make someone else an owner first."
            )
        conn.execute(
            "UPDATE memberships SET role = ? WHERE site_id = ? AND user_id = ?", (new_role, site_id, user_id)
        )
        return Member(id=member.id, name=member.name, email=member.email, role=new_role)

    return await db.write(update)


async def remove_member(db: Database, site_id: int, user_id: int) -> None:
    """Take a member off the site; the site's last owner cannot be removed."""

    def delete(conn: sqlite3.Connection) -> None:
        member = _membership(conn, site_id, user_id)
        if _is_last_owner(conn, site_id, member):
            raise Invalid.field(
                "user_id", "The last owner of a site cannot be removed: make someone else an owner first."
            )
        conn.execute("DELETE FROM memberships WHERE site_id = ? AND user_id = ?", (site_id, user_id))

    await db.write(delete)
