"""Deterministic addresses for names the sandbox DNS answers with synthesised data.

CloudFront edge addresses come from the benchmarking range 198.18.0.0/15 and
2001:db8::/32 (never routed), Cloudflare proxy addresses from Cloudflare's own
published ranges so that a reader recognises "this is proxied".
"""

import hashlib
import ipaddress

_CLOUDFRONT_V4 = ipaddress.ip_network("198.18.0.0/15")
_CLOUDFRONT_V6 = ipaddress.ip_network("2001:db8:cf::/48")
_CLOUDFLARE_V4 = ipaddress.ip_network("104.16.0.0/13")
_CLOUDFLARE_V6 = ipaddress.ip_network("2606:4700::/32")


def _pick(network, seed, count):
    digest = hashlib.sha256(seed.encode()).digest()
    size = network.num_addresses
    picked = []
    for i in range(count):
        chunk = int.from_bytes(hashlib.sha256(digest + bytes([i])).digest()[:16], "big")
        # Skip the network and broadcast-like ends for readability.
        picked.append(str(network[1 + chunk % (size - 2)]))
    return sorted(set(picked))


def cloudfront_addresses(domain_name, ipv6=True):
    name = domain_name.lower().rstrip(".")
    v4 = _pick(_CLOUDFRONT_V4, name, 4)
    v6 = _pick(_CLOUDFRONT_V6, name, 4) if ipv6 else []
    return v4, v6


def cloudflare_proxy_addresses(name):
    name = name.lower().rstrip(".")
    return _pick(_CLOUDFLARE_V4, name, 2), _pick(_CLOUDFLARE_V6, name, 2)
