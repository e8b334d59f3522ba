"""Typed rows and inputs of the sites domain."""

from __future__ import annotations

import sqlite3
from typing import Literal

import msgspec

from appliance.accounts.models import NewSession, NewToken, User

Role = Literal["owner", "admin", "viewer"]
ROLES: tuple[Role, ...] = ("owner", "admin", "viewer")
RANK: dict[str, int] = {"viewer": 1, "admin": 2, "owner": 3}
TRACKING_TYPES = ("lightweight", "full")
CHANNEL_TYPES = ("website", "app", "other")


class Site(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    domain: str
    pixel_key: str
    timezone: str
    tracking_enabled: bool
    is_enabled: bool
    tracking_type: str
    channel_type: str
    created_at: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Site:
        return cls(
            id=row["id"],
            name=row["name"],
            domain=row["domain"],
            pixel_key=row["pixel_key"],
            timezone=row["timezone"],
            tracking_enabled=bool(row["tracking_enabled"]),
            is_enabled=bool(row["is_enabled"]),
            tracking_type=row["tracking_type"],
            channel_type=row["channel_type"],
            created_at=row["created_at"],
        )


SITE_COLUMNS = (
    "id, name, domain, pixel_key, timezone, tracking_enabled, is_enabled, tracking_type, "
    "channel_type, created_at"
)


class SiteChanges(msgspec.Struct, kw_only=True):
    """Fields to create a site with, or to change; UNSET means 'leave as it is'."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    domain: str | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType = msgspec.UNSET
    tracking_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    is_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    tracking_type: str | msgspec.UnsetType = msgspec.UNSET
    channel_type: str | msgspec.UnsetType = msgspec.UNSET


class SiteAccess(msgspec.Struct, frozen=True, kw_only=True):
    """A site together with the caller's effective role on it."""

    site: Site
    role: Role


class Member(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    email: str
    role: Role


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    site_id: int
    email: str
    role: Role
    created_at: int
    expires_at: int


class NewInvitation(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation as created: the token that accepts it is shown once."""

    token: str
    invitation: Invitation


class Team(msgspec.Struct, frozen=True, kw_only=True):
    """A site's members and its pending (unaccepted, unexpired) invitations."""

    members: list[Member]
    invitations: list[Invitation]


class InvitationPreview(msgspec.Struct, frozen=True, kw_only=True):
    """What an invitation token leads to, as its holder may see before accepting it."""

    site_id: int
    site_name: str
    site_domain: str
    email: str
    role: Role
    expires_at: int
    account_exists: bool


class Acceptance(msgspec.Struct, frozen=True, kw_only=True):
    """An accepted invitation: the member's role now, and how a new account is signed in:
    an API token or a dashboard session (neither for someone who was signed in already)."""

    site_id: int
    role: Role
    user: User
    token: NewToken | None = None
    session: NewSession | None = None
