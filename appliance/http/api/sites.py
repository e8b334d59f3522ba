"""Spec 000 sites: list, create, show, update, delete."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import JSONBody

from appliance.http.api.schemas import SiteBody, SiteEnvelope, SiteOut, SitesEnvelope
from appliance.http.auth import CallerDep, Db, SiteDep, provide_caller, provide_site
from appliance.sites import sites


class SitesController(Controller):
    path = "/sites"
    tags = ["Sites"]
    dependencies = {"caller": Provide(provide_caller), "site": Provide(provide_site)}

    @get("/", summary="Sites the user can see")
    async def list_sites(self, caller: CallerDep, db: Db) -> SitesEnvelope:
        return SitesEnvelope(sites=[SiteOut.of(s) for s in await sites.sites_for(db, caller.user)])

    @post("/", status_code=201, summary="Create a site; the caller becomes its owner")
    async def create_site(self, caller: CallerDep, db: Db, data: JSONBody[SiteBody]) -> SiteEnvelope:
        return SiteEnvelope(site=SiteOut.of(await sites.create_site(db, caller.user, data.changes())))

    @get("/{id:int}", opt={"role": "viewer"}, summary="One site")
    async def show_site(self, site: SiteDep) -> SiteEnvelope:
        return SiteEnvelope(site=SiteOut.of(site.site))

    @put("/{id:int}", opt={"role": "admin"}, summary="Change a site's settings")
    async def update_site(self, site: SiteDep, db: Db, data: JSONBody[SiteBody]) -> SiteEnvelope:
        return SiteEnvelope(site=SiteOut.of(await sites.update_site(db, site.site.id, data.changes())))

    @delete("/{id:int}", status_code=204, opt={"role": "owner"}, summary="Delete a site and all its data")
    async def delete_site(self, site: SiteDep, db: Db) -> None:
        await sites.delete_site(db, site.site.id)
