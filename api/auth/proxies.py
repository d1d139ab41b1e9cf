"""Who is on the other end of a request: its address, and the scheme and host it asked for.

Behind a reverse proxy the socket's peer is the proxy; the proxy says who its client was in X-Forwarded-For /
X-Forwarded-Proto / X-Forwarded-Host, or in Forwarded (RFC 7239). Anyone can send those headers, so they are
believed only when the direct peer is one of the settings' `trusted_proxies`; from anyone else they are
ignored. This is the one place that reads them: the login throttle (the address), the cross-site check (the
app's own origin) and the cookie's Secure flag (the scheme) all ask here.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

from litestar.connection import ASGIConnection

from api.settings import Settings

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCHEMES = frozenset({"http", "https"})
# A host, with an optional port: a name, an IPv4 address or a bracketed IPv6 address (nothing a URL could break on).
_HOST = re.compile(r"^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$")


@dataclass(frozen=True)
class ClientView:
    """How the client reached the app: its address, and the scheme and Host of the URL it asked for."""

    address: str
    scheme: str
    host: str

    @property
    def origin(self) -> str:
        """scheme://host as a browser's Origin header writes it (without the scheme's default port)."""
        return f"{self.scheme}://{strip_default_port(self.scheme, self.host)}"


def strip_default_port(scheme: str, host: str) -> str:
    default = {"http": ":80", "https": ":443"}.get(scheme)
    return host[: -len(default)] if default and host.endswith(default) else host


@lru_cache(maxsize=16)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def parse_ip(value: str) -> IP | None:
    """An address as proxies write it: bare, with a port, bracketed IPv6, quoted (Forwarded); else None."""
    value = value.strip().strip('"').strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # IPv4 with a port (a bare IPv6 address has several colons)
        value = value.partition(":")[0]
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_trusted(ip: IP | None, networks: tuple[Network, ...]) -> bool:
    return ip is not None and any(ip in network for network in networks)


def _forwarded_elements(values: list[str]) -> list[dict[str, str]]:
    """Forwarded: for=192.0.2.60;proto=https;host=example.com, for="[2001:db8::1]:4711" (RFC 7239)."""
    elements = []
    for element in ",".join(values).split(","):
        pairs: dict[str, str] = {}
        for pair in element.split(";"):
            name, sep, value = pair.partition("=")
            if sep:
                pairs[name.strip().lower()] = value.strip().strip('"')
        elements.append(pairs)
    return elements


def _chain(hops: list[str], peer: str, networks: tuple[Network, ...]) -> tuple[str, int | None]:
    """The client's address in a chain of hops (the proxies append on the right), and its position.

    From the right, trusted proxies are skipped: the first other address is the client. Hops an untrusted
    client put on the left are never reached. A hop that is no address stops the walk at the last one known.
    """
    address, index = peer, None
    for i in range(len(hops) - 1, -1, -1):
        ip = parse_ip(hops[i])
        if ip is None:
            break
        address, index = str(ip), i
        if not is_trusted(ip, networks):
            break
    return address, index


def _pick(values: list[str], index: int | None, hops: int) -> str | None:
    """The value for the chosen hop when the proxies appended one per hop, else the nearest proxy's (the last)."""
    if not values:
        return None
    if index is not None and len(values) == hops:
        return values[index]
    return values[-1]


def _split(values: list[str]) -> list[str]:
    return [v.strip() for v in ",".join(values).split(",") if v.strip()]


def client_view(connection: ASGIConnection) -> ClientView:
    """The request's client address, scheme and host: the socket's, or a trusted proxy's word for them."""
    peer = connection.client.host if connection.client else "unknown"
    scheme = str(connection.scope.get("scheme", "http")).lower()
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    host = connection.headers.get("host", "").strip().lower()
    settings: Settings = connection.app.state.settings
    networks = trusted_networks(settings.trusted_proxies)
    if not networks or not is_trusted(parse_ip(peer), networks):
        return ClientView(peer, scheme, host)

    headers = connection.headers
    proto: str | None
    forwarded_host: str | None
    if hops := _split(headers.getall("x-forwarded-for", [])):
        address, index = _chain(hops, peer, networks)
        proto = _pick(_split(headers.getall("x-forwarded-proto", [])), index, len(hops))
        forwarded_host = _pick(_split(headers.getall("x-forwarded-host", [])), index, len(hops))
    elif elements := _forwarded_elements(headers.getall("forwarded", [])):
        address, index = _chain([e.get("for", "") for e in elements], peer, networks)
        chosen = elements[index if index is not None else -1]
        proto, forwarded_host = chosen.get("proto"), chosen.get("host")
    else:
        address, proto, forwarded_host = peer, None, None
    # X-Forwarded-Proto / -Host may come without X-Forwarded-For (a proxy that sets only those).
    if proto is None:
        proto = _pick(_split(headers.getall("x-forwarded-proto", [])), None, 0)
    if forwarded_host is None:
        forwarded_host = _pick(_split(headers.getall("x-forwarded-host", [])), None, 0)
    if proto is not None and proto.lower() in _SCHEMES:
        scheme = proto.lower()
    if forwarded_host is not None and _HOST.match(forwarded_host.lower()):
        host = forwarded_host.lower()
    return ClientView(address, scheme, host)
