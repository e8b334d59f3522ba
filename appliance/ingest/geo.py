"""Client IP to country (and region and city when a City database is configured).

The country comes from an mmdb file read with maxminddb: by default DB-IP's free country database,
which the web build copies into appliance/geodata (CC BY 4.0: the dashboard links to DB-IP).
geoip2's Reader.country() refuses those files, so they are read as plain records. A City database
(GeoLite2-City or DB-IP City Lite) is read through geoip2. Addresses live only in the lookup cache
in memory; nothing here stores them.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from pathlib import Path
from typing import Any

import geoip2.database
import geoip2.errors
import maxminddb
import msgspec

from appliance.config import GeoConfig

CACHE_SIZE = 16_384
_BUNDLED = Path(__file__).resolve().parent.parent / "geodata" / "dbip-country.mmdb"

log = logging.getLogger(__name__)


class Place(msgspec.Struct, frozen=True, kw_only=True):
    country: str | None  # ISO 3166-1 alpha-2, upper case
    region: str | None  # the first-level subdivision (a state, a nation of the UK), City databases only
    city: str | None


NOWHERE = Place(country=None, region=None, city=None)


class Locator:
    """Looks addresses up in a country database and, optionally, a City database."""

    def __init__(self, country_db: Path | None, city_db: Path | None = None) -> None:
        self._country: maxminddb.Reader | None = None
        self._city: geoip2.database.Reader | None = None
        self._places: dict[tuple[str | None, str | None, str | None], Place] = {}
        self._cached = functools.lru_cache(maxsize=CACHE_SIZE)(self._locate)
        if country_db is not None:
            self._country = maxminddb.open_database(str(country_db), maxminddb.MODE_AUTO)
        if city_db is not None:
            try:
                self._city = geoip2.database.Reader(str(city_db), locales=["en"])
            except BaseException:
                self.close()
                raise

    def locate(self, ip: str) -> Place:
        """Where an address is; NOWHERE (all None) for private, loopback, unknown or malformed ones."""
        return self._cached(ip)

    def close(self) -> None:
        """Close the database files; later lookups answer NOWHERE."""
        if self._country is not None:
            self._country.close()
        if self._city is not None:
            self._city.close()
        self._country = self._city = None
        self._cached.cache_clear()

    def _locate(self, ip: str) -> Place:
        try:
            address = ipaddress.ip_address(ip.strip())
        except ValueError:
            return NOWHERE
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # "::ffff:8.8.8.8" from a dual-stack socket
        if not address.is_global:
            return NOWHERE
        country = region = city = None
        if self._city is not None:
            try:
                found = self._city.city(address)
            except (geoip2.errors.AddressNotFoundError, ValueError, maxminddb.InvalidDatabaseError):
                pass
            else:
                country = _country_code(found.country.iso_code)
                region = found.subdivisions[0].name if found.subdivisions else None
                city = found.city.name
        if country is None and self._country is not None:
            try:
                record = self._country.get(address)
            except (ValueError, maxminddb.InvalidDatabaseError):
                record = None
            country = _record_country(record)
        if country is None and region is None and city is None:
            return NOWHERE
        # Few distinct places, many addresses: share one Place per place.
        return self._places.setdefault(
            (country, region, city), Place(country=country, region=region, city=city)
        )


def _record_country(record: Any) -> str | None:
    """DB-IP lite files say {"country_code": "GB"}; GeoLite2 ones {"country": {"iso_code": "GB"}}."""
    if not isinstance(record, dict):
        return None
    code = record.get("country_code")
    if code is None and isinstance(record.get("country"), dict):
        code = record["country"].get("iso_code")
    return _country_code(code)


def _country_code(code: object) -> str | None:
    if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
        return code.upper()
    return None


def bundled_country_db() -> Path | None:
    """The DB-IP country database that the web build copies into the package, if it is there."""
    return _BUNDLED if _BUNDLED.is_file() else None


def open_locator(config: GeoConfig) -> Locator:
    """A Locator for the configured databases ("" = the bundled country database, no City one).

    Raises ValueError naming the setting when a configured file is missing or is not a usable mmdb.
    """
    country = _configured("geo.country_db", config.country_db) if config.country_db else bundled_country_db()
    city = _configured("geo.city_db", config.city_db) if config.city_db else None
    if country is None:
        log.warning("no country database: appliance/geodata/dbip-country.mmdb is missing (run the web build)")
    else:
        _database_type("geo.country_db", country)
    if city is not None and "City" not in (kind := _database_type("geo.city_db", city)):
        raise ValueError(f"geo.city_db: {city} is a {kind!r} database, not a City database")
    return Locator(country, city)


def _database_type(key: str, path: Path) -> str:
    try:
        with maxminddb.open_database(str(path), maxminddb.MODE_AUTO) as reader:
            return reader.metadata().database_type
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise ValueError(f"{key}: not a readable MaxMind DB file: {path} ({exc})") from None


def _configured(key: str, value: str) -> Path:
    path = Path(value).expanduser()
    if not path.exists():
        raise ValueError(f"{key}: no such file: {path}")
    if not path.is_file():
        raise ValueError(f"{key}: not a file: {path}")
    return path
