"""Spec 004 websites: the same stored sites, seen with `host` and `pixel_key`."""

from __future__ import annotations

from collections.abc import Awaitable

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import JSONBody

from appliance.clock import iso
from appliance.errors import Invalid
from appliance.http.auth import CallerDep, Db, SiteDep, provide_caller, provide_site
from appliance.sites import sites
from appliance.sites.models import Site, SiteChanges

# The domain calls spec 004's `host` a `domain`; its errors are told in the client's words.
FIELD_NAMES = {"domain": "host"}


async def _as_sent(saving: Awaitable[Site]) -> Site:
    """The saved site; validation errors name the fields as the client sent them."""
    try:
        return await saving
    except Invalid as exc:
        raise exc.renamed(FIELD_NAMES) from None


class WebsiteBody(msgspec.Struct, kw_only=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    host: str | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType = msgspec.UNSET
    tracking_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    is_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    tracking_type: str | msgspec.UnsetType = msgspec.UNSET
    channel_type: str | msgspec.UnsetType = msgspec.UNSET

    def changes(self) -> SiteChanges:
        fields = msgspec.structs.asdict(self)
        fields["domain"] = fields.pop("host")
        return SiteChanges(**fields)


class WebsiteOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    host: str
    pixel_key: str
    tracking_enabled: bool
    is_enabled: bool
    timezone: str
    tracking_type: str
    channel_type: str
    created_at: str | None

    @classmethod
    def of(cls, site: Site) -> WebsiteOut:
        return cls(
            id=site.id,
            name=site.name,
            host=site.domain,
            pixel_key=site.pixel_key,
            tracking_enabled=site.tracking_enabled,
            is_enabled=site.is_enabled,
            timezone=site.timezone,
            tracking_type=site.tracking_type,
            channel_type=site.channel_type,
            created_at=iso(site.created_at),
        )


class WebsitesEnvelope(msgspec.Struct, kw_only=True):
    data: list[WebsiteOut]


class WebsiteEnvelope(msgspec.Struct, kw_only=True):
    data: WebsiteOut


class Ok(msgspec.Struct, kw_only=True):
    ok: bool = True


class WebsitesController(Controller):
    path = "/websites"
    tags = ["Websites"]
    dependencies = {"caller": Provide(provide_caller), "site": Provide(provide_site)}

    @get("/", summary="Websites the user can see")
    async def list_websites(self, caller: CallerDep, db: Db) -> WebsitesEnvelope:
        return WebsitesEnvelope(data=[WebsiteOut.of(s) for s in await sites.sites_for(db, caller.user)])

    @post("/", status_code=201, summary="Create a website; the caller becomes its owner")
    async def create_website(self, caller: CallerDep, db: Db, data: JSONBody[WebsiteBody]) -> WebsiteEnvelope:
        created = await _as_sent(sites.create_site(db, caller.user, data.changes()))
        return WebsiteEnvelope(data=WebsiteOut.of(created))

    @get("/{id:int}", opt={"role": "viewer"}, summary="One website")
    async def show_website(self, site: SiteDep) -> WebsiteEnvelope:
        return WebsiteEnvelope(data=WebsiteOut.of(site.site))

    @put("/{id:int}", opt={"role": "admin"}, summary="Change a website's settings")
    async def update_website(self, site: SiteDep, db: Db, data: JSONBody[WebsiteBody]) -> WebsiteEnvelope:
        updated = await _as_sent(sites.update_site(db, site.site.id, data.changes()))
        return WebsiteEnvelope(data=WebsiteOut.of(updated))

    @delete("/{id:int}", status_code=200, opt={"role": "owner"}, summary="Delete a website and all its data")
    async def delete_website(self, site: SiteDep, db: Db) -> Ok:
        await sites.delete_site(db, site.site.id)
        return Ok()
