"""Checking URLs that members give us before the server fetches them (git remotes, webhooks).

Two checks, both before any connection: the URL's shape (scheme, no credentials,
nothing a shell, git or curl could read as an option or a variable), then every
address its host resolves to must be public. Callers resolve again at every
fetch, and pin the connection to the addresses checked, so that a DNS answer
that changes between the check and the connection cannot reach an internal
address.
"""

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class UnsafeURL(ValueError):
    """A URL we refuse to fetch; the message is meant for the member who gave it."""


# `%` is allowed only as a percent-escape; `$`, backquotes and `%NAME%` look like variables to some tool.
_BAD_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f$`\\]|%(?![0-9A-Fa-f]{2})")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$")
MAX_URL_LENGTH = 2000


@dataclass(frozen=True)
class CheckedURL:
    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def check_url_shape(url: str, *, schemes: tuple[str, ...] = ("https",)) -> tuple[str, str, int]:
    """The URL's scheme, host and port, or UnsafeURL saying what is wrong with it."""
    url = url.strip()
    if not url:
        raise UnsafeURL("Give the address, starting with https://.")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"That address is longer than {MAX_URL_LENGTH} characters.")
    if url.startswith("-"):
        raise UnsafeURL("An address cannot start with '-'.")
    if "::" in url.split("/", 1)[0]:
        raise UnsafeURL("Git transport syntax such as ext:: or fd:: is not allowed; give an https:// address.")
    if _BAD_CHARACTERS.search(url):
        raise UnsafeURL("The address contains spaces, control characters, '$', '`', '\\' or a stray '%'.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("That is not a valid address.") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = " or ".join(f"{name}://" for name in schemes)
        raise UnsafeURL(f"Only {allowed} addresses are accepted here, not {scheme or 'this kind'}.")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsafeURL("Addresses with a user name or password in them are not accepted.")
    host = parts.hostname or ""
    if not host or not _HOST.match(parts.netloc.rsplit(":", 1)[0] if port else parts.netloc):
        raise UnsafeURL("The address has no valid host name.")
    if parts.fragment:
        raise UnsafeURL("Remove the '#...' part from the address.")
    return scheme, host, port or (443 if scheme == "https" else 80)


# NAT64's well-known prefix (RFC 6052) carries an IPv4 address in its last 32 bits, which the
# translator connects to: the address is judged by it, as an IPv4-mapped one is.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Refused whatever they carry. 6to4 (2002::/16) and Teredo (2001::/32) reach their IPv4 address
# through relays we neither choose nor see, and both are deprecated (RFC 7526; Teredo is a last
# resort): no host a member links needs them, and judging them by the embedded address would trust
# a relay. The local-use NAT64 prefix (64:ff9b:1::/48, RFC 8215) puts the IPv4 address wherever the
# operator's prefix length says, so where it leads cannot be read from it. IPv4-compatible
# addresses (::a.b.c.d) were deprecated in 2006 (RFC 4291) and are routed nowhere.
_REFUSED_V6 = (ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("::/96"))


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # Site-local addresses (fec0::/10) were deprecated in 2004 (RFC 3879) but are still routed
        # inside some networks, and Python counts them global.
        if ip.is_site_local:
            return False
        if ip.sixtofour is not None or ip.teredo is not None or any(ip in net for net in _REFUSED_V6):
            return False
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(ip.packed[-4:])
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


async def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address `host` resolves to, or UnsafeURL when it does not resolve."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(f"The host {host} could not be found.") from None
    return tuple(dict.fromkeys(info[4][0] for info in infos))


async def check_public_url(
    url: str, *, schemes: tuple[str, ...] = ("https",), allow_private: bool = False
) -> CheckedURL:
    """Check the URL's shape and that its host resolves only to public addresses.

    `allow_private` (an admin's setting, for self-hosting and tests) skips the address check only.
    """
    scheme, host, port = check_url_shape(url, schemes=schemes)
    addresses = await resolve(host.strip("[]"), port)
    if not allow_private:
        internal = [address for address in addresses if not is_public_address(address)]
        if internal:
            raise UnsafeURL(
                f"The host {host} resolves to an internal address ({internal[0]}); "
                "only hosts on the public internet can be reached."
            )
    return CheckedURL(url=url.strip(), scheme=scheme, host=host, port=port, addresses=addresses)
