"""Creating, listing, changing and deleting sites."""

from __future__ import annotations

import functools
import re
import sqlite3
import uuid
import zoneinfo

import msgspec

from appliance.accounts.models import User
from appliance.clock import now_ms
from appliance.db import Database
from appliance.errors import Invalid, NotFound
from appliance.sites.models import CHANNEL_TYPES, SITE_COLUMNS, TRACKING_TYPES, Site, SiteChanges

MAX_NAME = 200
# Bumped after every committed change to a site: caches of sites (the tracking endpoints' pixel
# keys) compare it with the value they were filled at and refill when it moved.
generation = 0


def _changed() -> None:
    global generation
    generation += 1


_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$"
)


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def normalise_domain(value: str) -> str:
    """'https://Example.com/blog' -> 'example.com': people paste URLs where a host is asked for."""
    host = value.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    return host.split("/", 1)[0].rstrip(".")


def _errors(changes: SiteChanges, *, creating: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if changes.name is not msgspec.UNSET or creating:
        name = changes.name if isinstance(changes.name, str) else ""
        if not name.strip():
            errors["name"] = ["The name field is required."]
        elif len(name) > MAX_NAME:
            errors["name"] = [f"The name may not be greater than {MAX_NAME} characters."]
    if changes.domain is not msgspec.UNSET or creating:
        domain = normalise_domain(changes.domain) if isinstance(changes.domain, str) else ""
        if not domain:
            errors["domain"] = ["The domain field is required."]
        elif not _HOST.match(domain):
            errors["domain"] = ["The domain must be a valid host name, such as example.com."]
    if isinstance(changes.timezone, str) and changes.timezone not in _timezones():
        errors["timezone"] = ["The timezone must be a valid IANA time zone, such as Europe/London."]
    if isinstance(changes.tracking_type, str) and changes.tracking_type not in TRACKING_TYPES:
        errors["tracking_type"] = [f"The tracking type must be one of: {', '.join(TRACKING_TYPES)}."]
    if isinstance(changes.channel_type, str) and changes.channel_type not in CHANNEL_TYPES:
        errors["channel_type"] = [f"The channel type must be one of: {', '.join(CHANNEL_TYPES)}."]
    return errors


def _values(changes: SiteChanges) -> dict[str, object]:
    values = {k: v for k, v in msgspec.structs.asdict(changes).items() if v is not msgspec.UNSET}
    if "name" in values:
        values["name"] = str(values["name"]).strip()
    if "domain" in values:
        values["domain"] = normalise_domain(str(values["domain"]))
    for flag in ("tracking_enabled", "is_enabled"):
        if flag in values:
            values[flag] = int(bool(values[flag]))
    return values


async def create_site(db: Database, owner: User, changes: SiteChanges) -> Site:
    """A new site with a fresh pixel key; its creator becomes its owner."""
    errors = _errors(changes, creating=True)
    if errors:
        raise Invalid(errors)
    values = _values(changes) | {"pixel_key": str(uuid.uuid4()), "created_at": now_ms()}

    def insert(conn: sqlite3.Connection) -> Site:
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        row = conn.execute(
            f"INSERT INTO sites ({columns}) VALUES ({marks}) RETURNING {SITE_COLUMNS}", values
        ).fetchone()
        conn.execute(
            "INSERT INTO memberships (site_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)",
            (row["id"], owner.id, values["created_at"]),
        )
        return Site.from_row(row)

    site = await db.write(insert)
    _changed()
    return site


async def update_site(db: Database, site_id: int, changes: SiteChanges) -> Site:
    errors = _errors(changes, creating=False)
    if errors:
        raise Invalid(errors)
    values = _values(changes)

    def update(conn: sqlite3.Connection) -> Site:
        if values:
            assignments = ", ".join(f"{k} = :{k}" for k in values)
            conn.execute(f"UPDATE sites SET {assignments} WHERE id = :site_id", values | {"site_id": site_id})
        row = conn.execute(f"SELECT {SITE_COLUMNS} FROM sites WHERE id = ?", (site_id,)).fetchone()
        if row is None:
            raise NotFound("Site not found.")
        return Site.from_row(row)

    site = await db.write(update)
    _changed()
    return site


async def delete_site(db: Database, site_id: int) -> None:
    def delete(conn: sqlite3.Connection) -> None:
        if conn.execute("DELETE FROM sites WHERE id = ?", (site_id,)).rowcount == 0:
            raise NotFound("Site not found.")

    await db.write(delete)
    _changed()


async def sites_for(db: Database, user: User) -> list[Site]:
    """The sites the user can see: all of them for a server admin, else their memberships."""
    if user.is_admin:
        rows = await db.fetchall(f"SELECT {SITE_COLUMNS} FROM sites ORDER BY id")
    else:
        rows = await db.fetchall(
            f"SELECT {SITE_COLUMNS} FROM sites WHERE id IN (SELECT site_id FROM memberships WHERE user_id = ?) "
            "ORDER BY id",
            (user.id,),
        )
    return [Site.from_row(r) for r in rows]
