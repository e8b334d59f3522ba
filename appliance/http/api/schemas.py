"""Request and response bodies of spec 000 (`/api`)."""

from __future__ import annotations

import msgspec

from appliance.accounts.models import User
from appliance.clock import iso
from appliance.sites.models import Site, SiteChanges


class LoginBody(msgspec.Struct, kw_only=True):
    email: str = ""
    password: str = ""
    remember: bool = False


class UserOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    email: str
    is_admin: bool
    created_at: str | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            name=user.name,
            email=user.email,
            is_admin=user.is_admin,
            created_at=iso(user.created_at),
        )


class UserEnvelope(msgspec.Struct, kw_only=True):
    user: UserOut


class LoginOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """`token` is absent for a cookie login: the dashboard never holds a token in script."""

    token_type: str
    user: UserOut
    token: str | None = None
    csrf_token: str | None = None


class TokenBody(msgspec.Struct, kw_only=True):
    name: str = ""


class TokenOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: int
    name: str
    prefix: str
    created_at: str | None
    token: str | None = None


class TokensEnvelope(msgspec.Struct, kw_only=True):
    tokens: list[TokenOut]


class SiteBody(msgspec.Struct, kw_only=True):
    domain: str | msgspec.UnsetType = msgspec.UNSET
    name: str | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType = msgspec.UNSET
    tracking_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    is_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    tracking_type: str | msgspec.UnsetType = msgspec.UNSET
    channel_type: str | msgspec.UnsetType = msgspec.UNSET

    def changes(self) -> SiteChanges:
        return SiteChanges(**msgspec.structs.asdict(self))


class SiteOut(msgspec.Struct, kw_only=True):
    id: int
    domain: str
    name: str
    sid: str
    timezone: str
    tracking_enabled: bool
    is_enabled: bool
    tracking_type: str
    channel_type: str
    created_at: str | None

    @classmethod
    def of(cls, site: Site) -> SiteOut:
        return cls(
            id=site.id,
            domain=site.domain,
            name=site.name,
            sid=site.pixel_key,
            timezone=site.timezone,
            tracking_enabled=site.tracking_enabled,
            is_enabled=site.is_enabled,
            tracking_type=site.tracking_type,
            channel_type=site.channel_type,
            created_at=iso(site.created_at),
        )


class SitesEnvelope(msgspec.Struct, kw_only=True):
    sites: list[SiteOut]


class SiteEnvelope(msgspec.Struct, kw_only=True):
    site: SiteOut
