"""Geolocation: the bundled DB-IP country database, a City database, and bad configuration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from appliance.config import GeoConfig
from appliance.ingest import geo
from appliance.ingest.geo import NOWHERE, Locator, Place, bundled_country_db, open_locator


def place(country: str | None, region: str | None = None, city: str | None = None) -> Place:
    return Place(country=country, region=region, city=city)


@pytest.fixture(scope="module")
def bundled() -> Path:
    path = bundled_country_db()
    assert path is not None, "appliance/geodata/dbip-country.mmdb is missing: run `make web`"
    return path


@pytest.fixture
def locator(bundled: Path) -> Iterator[Locator]:
    located = open_locator(GeoConfig())
    yield located
    located.close()


@pytest.fixture(scope="module")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny City database in GeoLite2-City's layout, as DB-IP City Lite also has it."""
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City", languages=["en"])
    writer.insert_network(
        IPSet(["81.2.69.0/24"]),
        {
            "country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
            "subdivisions": [
                {"iso_code": "ENG", "names": {"en": "England"}},
                {"iso_code": "WSM", "names": {"en": "Westminster"}},
            ],
            "city": {"names": {"en": "London", "de": "London"}},
        },
    )
    writer.insert_network(
        IPSet(["2001:41d0::/32"]),
        {
            "country": {"iso_code": "FR"},
            "subdivisions": [{"names": {"en": "Hauts-de-France"}}],
            "city": {"names": {"en": "Roubaix"}},
        },
    )
    # A record without a country: the country database fills it in.
    writer.insert_network(IPSet(["8.8.8.0/24"]), {"city": {"names": {"en": "Mountain View"}}})
    path = tmp_path_factory.mktemp("geo") / "city.mmdb"
    writer.to_db_file(str(path))
    return path


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("8.8.8.8", place("US")),
        ("81.2.69.142", place("GB")),
        ("2001:67c:2e8:22::c100:68b", place("NL")),
        ("2001:41d0::1", place("FR")),
        ("::ffff:81.2.69.142", place("GB")),  # as a dual-stack socket reports an IPv4 peer
        (" 8.8.8.8 ", place("US")),
    ],
)
def test_countries_from_the_bundled_database(locator: Locator, ip: str, expected: Place) -> None:
    assert locator.locate(ip) == expected


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.0.1",
        "100.64.0.1",
        "169.254.1.1",
        "0.0.0.0",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fd00::1",
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "",
        "not an ip",
        "8.8.8.8:443",
        "999.1.1.1",
        "8.8.8.8\x00",
        "1" * 10_000,
    ],
)
def test_private_loopback_and_invalid_addresses_are_nowhere(locator: Locator, ip: str) -> None:
    assert locator.locate(ip) == NOWHERE == place(None)


def test_region_and_city_from_a_city_database(bundled: Path, city_db: Path) -> None:
    locator = open_locator(GeoConfig(city_db=str(city_db)))
    try:
        assert locator.locate("81.2.69.142") == place("GB", "England", "London")
        assert locator.locate("2001:41d0::1") == place("FR", "Hauts-de-France", "Roubaix")
        assert locator.locate("8.8.8.8") == place("US", None, "Mountain View")
        assert locator.locate("1.1.1.1") == place("AU")  # not in the City database: the country one
        assert locator.locate("10.0.0.1") == NOWHERE
    finally:
        locator.close()


def test_a_city_database_alone(city_db: Path) -> None:
    locator = Locator(None, city_db)
    try:
        assert locator.locate("81.2.69.142") == place("GB", "England", "London")
        assert locator.locate("1.1.1.1") == NOWHERE
    finally:
        locator.close()


def test_configured_country_database(bundled: Path) -> None:
    locator = open_locator(GeoConfig(country_db=str(bundled)))
    try:
        assert locator.locate("81.2.69.142") == place("GB")
    finally:
        locator.close()


def test_closed_locator_answers_nowhere(bundled: Path) -> None:
    locator = Locator(bundled)
    assert locator.locate("8.8.8.8") == place("US")
    locator.close()
    assert locator.locate("8.8.8.8") == NOWHERE
    locator.close()  # twice is harmless


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"country_db": "/nonexistent/country.mmdb"},
            "geo.country_db: no such file: /nonexistent/country.mmdb",
        ),
        ({"city_db": "/nonexistent/city.mmdb"}, "geo.city_db: no such file: /nonexistent/city.mmdb"),
        ({"country_db": "{junk}"}, "geo.country_db: not a readable MaxMind DB file: {junk}"),
        ({"city_db": "{junk}"}, "geo.city_db: not a readable MaxMind DB file: {junk}"),
        (
            {"city_db": "{bundled}"},
            "geo.city_db: {bundled} is a 'country ipvAll' database, not a City database",
        ),
        ({"country_db": "{dir}"}, "geo.country_db: not a file: {dir}"),
    ],
)
def test_bad_configured_paths_name_the_setting(
    tmp_path: Path, bundled: Path, settings: dict[str, str], message: str
) -> None:
    junk = tmp_path / "junk.mmdb"
    junk.write_bytes(b"not a database" * 100)
    paths = {"junk": str(junk), "bundled": str(bundled), "dir": str(tmp_path)}
    config = GeoConfig(**{key: value.format(**paths) for key, value in settings.items()})

    with pytest.raises(ValueError) as raised:
        open_locator(config)
    assert str(raised.value).startswith(message.format(**paths))


def test_lookups_are_cached_and_bounded(locator: Locator) -> None:
    assert locator.locate("8.8.8.8") is locator.locate("8.8.8.8")
    assert locator._cached.cache_info().maxsize == geo.CACHE_SIZE
    ips = [f"{a}.{b}.7.9" for a in range(1, 224) for b in (3, 77, 150)]
    start = time.perf_counter()
    for ip in ips:
        locator.locate(ip)
    cold = (time.perf_counter() - start) / len(ips)
    start = time.perf_counter()
    for _ in range(10):
        for ip in ips:
            locator.locate(ip)
    cached = (time.perf_counter() - start) / len(ips) / 10
    print(f"locate: {cold * 1e6:.1f} µs cold, {cached * 1e6:.2f} µs cached")
    assert cached < 5e-6
