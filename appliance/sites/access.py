"""The one place that decides who may do what on a site.

Roles rank viewer < admin < owner. A server admin acts as owner everywhere. A site the
caller is not a member of is reported as not found, so its existence does not leak.
"""

from __future__ import annotations

from appliance.accounts.models import User
from appliance.db import Database
from appliance.errors import Forbidden, NotFound
from appliance.sites.models import RANK, SITE_COLUMNS, Role, Site, SiteAccess

_SITE_COLUMNS_S = ", ".join(f"s.{c.strip()}" for c in SITE_COLUMNS.split(","))


async def site_access(db: Database, user: User, site_id: int, need: Role) -> SiteAccess:
    """The site with the user's role on it; NotFound if they cannot see it, Forbidden if the role is too low."""
    row = await db.fetchone(
        f"SELECT {_SITE_COLUMNS_S}, m.role FROM sites s "
        "LEFT JOIN memberships m ON m.site_id = s.id AND m.user_id = ? WHERE s.id = ?",
        (user.id, site_id),
    )
    if row is None or (row["role"] is None and not user.is_admin):
        raise NotFound("Site not found.")
    role: Role = "owner" if user.is_admin else row["role"]
    if RANK[role] < RANK[need]:
        raise Forbidden(f"This action needs the {need} role on this site.")
    return SiteAccess(site=Site.from_row(row), role=role)
