from __future__ import annotations

from typing import Any

import pytest

from appliance.http.client_ip import TrustedProxies, format_ip, parse_ip


def scope(peer: str | None, *forwarded_for: str) -> Any:
    return {
        "type": "http",
        "client": (peer, 51234) if peer is not None else None,
        "headers": [(b"host", b"example.com")] + [(b"x-forwarded-for", v.encode()) for v in forwarded_for],
    }


def test_without_trusted_proxies_forwarded_for_is_ignored() -> None:
    proxies = TrustedProxies([])

    assert not proxies
    assert proxies.client_ip(scope("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    proxies = TrustedProxies(["10.0.0.1"])

    assert proxies.client_ip(scope("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() -> None:
    proxies = TrustedProxies(["10.0.0.1"])

    # The client forged the first entry; the proxy appended the address it saw.
    assert proxies.client_ip(scope("10.0.0.1", "1.1.1.1, 198.51.100.1")) == "198.51.100.1"
    assert proxies.client_ip(scope("10.0.0.1", "198.51.100.1")) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_skipped() -> None:
    proxies = TrustedProxies(["10.0.0.0/8", "192.168.1.5"])

    chain = scope("10.0.0.1", "1.1.1.1, 198.51.100.1, 192.168.1.5, 10.20.30.40")
    assert proxies.client_ip(chain) == "198.51.100.1"


def test_several_header_lines_are_one_list_in_order() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])

    assert proxies.client_ip(scope("10.0.0.1", "1.1.1.1", "198.51.100.1, 10.0.0.2")) == "198.51.100.1"


def test_when_every_entry_is_a_proxy_the_furthest_hop_is_the_client() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])

    assert proxies.client_ip(scope("10.0.0.1", "10.9.9.9, 10.0.0.2")) == "10.9.9.9"


@pytest.mark.parametrize(
    "header",
    [
        "198.51.100.1, unknown",
        "198.51.100.1, not an ip",
        "198.51.100.1, 300.1.1.1",
        "198.51.100.1, 010.1.1.1",
        "198.51.100.1, 198.51.100.2;for=x",
    ],
)
def test_a_malformed_entry_falls_back_to_the_peer(header: str) -> None:
    # What lies left of a malformed entry came through a hop nobody vouches for.
    proxies = TrustedProxies(["10.0.0.1"])

    assert proxies.client_ip(scope("10.0.0.1", header)) == "10.0.0.1"


def test_missing_or_empty_forwarded_for_falls_back_to_the_peer() -> None:
    proxies = TrustedProxies(["10.0.0.1"])

    assert proxies.client_ip(scope("10.0.0.1")) == "10.0.0.1"
    assert proxies.client_ip(scope("10.0.0.1", " , ")) == "10.0.0.1"
    # Empty elements carry no claim and are skipped.
    assert proxies.client_ip(scope("10.0.0.1", "198.51.100.1, ,")) == "198.51.100.1"


def test_entries_with_a_port_are_read() -> None:
    proxies = TrustedProxies(["10.0.0.1"])

    assert proxies.client_ip(scope("10.0.0.1", "198.51.100.1:5123")) == "198.51.100.1"
    assert proxies.client_ip(scope("10.0.0.1", "[2001:db8::7]:5123")) == "2001:db8::7"


def test_ipv6_peers_ranges_and_clients() -> None:
    proxies = TrustedProxies(["2001:db8:ffff::/48", "::1"])

    assert proxies.client_ip(scope("::1", "2001:DB8:0:0::9")) == "2001:db8::9"
    assert proxies.client_ip(scope("2001:db8:ffff::2", "2001:db8::9, 2001:db8:ffff:1::3")) == "2001:db8::9"
    assert proxies.client_ip(scope("2001:db8:1::2", "2001:db8::9")) == "2001:db8:1::2"
    # An IPv4 client forwarded through an IPv6 proxy, written IPv4-mapped.
    assert proxies.client_ip(scope("::1", "::ffff:198.51.100.1")) == "198.51.100.1"


def test_ipv4_mapped_addresses_match_ipv4_ranges() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])

    assert proxies.client_ip(scope("::ffff:10.0.0.1", "198.51.100.1")) == "198.51.100.1"


def test_a_peer_that_is_not_an_ip_is_returned_as_is() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])

    assert proxies.client_ip(scope("testclient", "198.51.100.1")) == "testclient"
    assert proxies.client_ip(scope(None, "198.51.100.1")) == ""


def test_parse_and_format() -> None:
    assert parse_ip("198.51.100.1") == bytes([198, 51, 100, 1])
    assert parse_ip("::ffff:198.51.100.1") == bytes([198, 51, 100, 1])
    assert parse_ip("fe80::1%eth0") is None
    assert parse_ip("1.2.3") is None
    assert parse_ip("a\x00b") is None
    packed = parse_ip("2001:DB8::0:1")
    assert packed is not None
    assert format_ip(packed) == "2001:db8::1"


def test_https_is_read_from_x_forwarded_proto_of_a_trusted_proxy_only() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])
    via_proxy = {
        "scheme": "http",
        "client": ("10.1.2.3", 5000),
        "headers": [(b"x-forwarded-proto", b"https")],
    }
    direct = {
        "scheme": "http",
        "client": ("203.0.113.9", 5000),
        "headers": [(b"x-forwarded-proto", b"https")],
    }

    assert proxies.is_https(via_proxy) is True
    assert proxies.is_https(direct) is False
    assert proxies.is_https({"scheme": "https", "client": ("203.0.113.9", 1), "headers": []}) is True
    assert proxies.is_https({**via_proxy, "headers": []}) is False
