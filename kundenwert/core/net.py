"""Find the client's IP address of a request, also behind trusted reverse proxies.

Behind a proxy (nginx, Caddy, a load balancer) REMOTE_ADDR is the proxy's address; the client's
is in ``X-Forwarded-For``, where every proxy appends the address it received the request from.
Anybody can send that header, so it is believed only as far as the chain consists of proxies
listed in the ``TRUSTED_PROXIES`` setting (addresses or networks, e.g. ``10.0.0.0/8``).
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(value: str) -> IPAddress | None:
    """Return `value` as an address, or None if it is not one (an IPv4-mapped IPv6 is IPv4)."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; count them as a.b.c.d.
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parse the TRUSTED_PROXIES entries; raise ImproperlyConfigured naming a malformed one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is neither an IP address nor a network."
            ) from None
    return tuple(networks)


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the client that sent `request`, or None if there is none.

    If REMOTE_ADDR is a trusted proxy, ``X-Forwarded-For`` is read from the right, past the
    trusted proxies, and the first untrusted address is the client. A malformed entry stops the
    walk: what lies left of it cannot be trusted, so the last valid address seen is taken.
    Otherwise the header is ignored, so a client cannot choose the address it is counted under.
    """
    remote = parse_ip(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    networks = trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    client = remote
    if _is_trusted(remote, networks):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for entry in reversed(forwarded.split(",") if forwarded.strip() else []):
            hop = parse_ip(entry)
            if hop is None:
                break
            client = hop
            if not _is_trusted(hop, networks):
                break
    return str(client)
