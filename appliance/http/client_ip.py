"""The client IP of a request: the socket peer, or `X-Forwarded-For` behind a trusted proxy.

`X-Forwarded-For` is believed only when the peer is one of `server.trusted_proxies`; the
list is then read from the right, where the proxies appended, and the first address that
is not itself a trusted proxy is the client. Anything to the left of that was written by
the client and is ignored. IPs live only in memory: nothing here stores or logs them.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from litestar.types import Scope

_IPV4_MAPPED = bytes(10) + b"\xff\xff"


def parse_ip(text: str) -> bytes | None:
    """The address as 4 (IPv4) or 16 (IPv6) bytes, or None when `text` is not an IP address.

    IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) come back as IPv4. `inet_pton` is strict
    (no leading zeros, no zone ids) and twenty times faster than `ipaddress`.
    """
    try:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
    except (OSError, ValueError):
        return None
    if len(packed) == 16 and packed.startswith(_IPV4_MAPPED):
        return packed[12:]
    return packed


def format_ip(packed: bytes) -> str:
    """The canonical text of a packed address: `192.0.2.1`, `2001:db8::1`."""
    return socket.inet_ntop(socket.AF_INET if len(packed) == 4 else socket.AF_INET6, packed)


def _without_port(entry: str) -> str:
    # Some proxies append the client's port: `192.0.2.1:5123`, `[2001:db8::1]:5123`.
    if entry.startswith("["):
        return entry[1:].partition("]")[0]
    if entry.count(":") == 1:
        return entry.partition(":")[0]
    return entry


def _forwarded_for(scope: Scope) -> str:
    # Several header lines are one list, in order (RFC 9110 5.3).
    values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
    return ",".join(values)


class TrustedProxies:
    """The configured trusted proxies (IPs or CIDR ranges), and the client IP seen through them."""

    __slots__ = ("_v4", "_v6")

    def __init__(self, entries: Iterable[str]) -> None:
        v4: list[tuple[int, int]] = []
        v6: list[tuple[int, int]] = []
        for entry in entries:
            network = ipaddress.ip_network(entry, strict=False)
            ranges = v4 if network.version == 4 else v6
            ranges.append((int(network.network_address), int(network.netmask)))
        self._v4 = tuple(v4)
        self._v6 = tuple(v6)

    def __bool__(self) -> bool:
        return bool(self._v4 or self._v6)

    def trusts(self, packed: bytes) -> bool:
        """Whether the packed address (see `parse_ip`) is inside one of the trusted ranges."""
        value = int.from_bytes(packed, "big")
        ranges = self._v4 if len(packed) == 4 else self._v6
        return any(value & mask == network for network, mask in ranges)

    def client_ip(self, scope: Scope) -> str:
        """The client IP of an HTTP scope, as text; "" when the server gave no peer address.

        A malformed `X-Forwarded-For` entry stops the walk at the peer: whatever lies to its
        left came through a hop we cannot vouch for. When every entry is a trusted proxy,
        the leftmost one (the furthest hop the proxies saw) is the client.
        """
        client = scope.get("client")
        peer: str = client[0] if client else ""
        if not (self._v4 or self._v6):
            return peer
        return self.client_ip_of(peer, _forwarded_for(scope))

    def client_ip_of(self, peer: str, forwarded_for: str) -> str:
        """`client_ip` from the peer address and the `X-Forwarded-For` lines joined with commas,
        for a caller that has read the headers already (the tracking routes)."""
        if not (self._v4 or self._v6):
            return peer
        packed = parse_ip(peer)
        if packed is None or not self.trusts(packed):
            return peer
        found = ""
        for raw in reversed(forwarded_for.split(",")):
            entry = raw.strip()
            if not entry:
                continue
            packed = parse_ip(entry) or parse_ip(_without_port(entry))
            if packed is None:
                return peer
            found = format_ip(packed)
            if not self.trusts(packed):
                return found
        return found or peer

    def is_https(self, scope: Scope) -> bool:
        """Whether the client reached us over TLS: our own scheme, or X-Forwarded-Proto from a trusted proxy."""
        if scope.get("scheme") == "https":
            return True
        client = scope.get("client")
        packed = parse_ip(client[0]) if client else None
        if packed is None or not self.trusts(packed):
            return False
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-proto":
                return value.split(b",")[0].strip().lower() == b"https"
        return False
