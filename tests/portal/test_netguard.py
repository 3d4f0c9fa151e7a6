"""URLs members give the server to fetch: refused before any connection when unsafe."""

import ipaddress

import pytest

from portal.netguard import UnsafeURL, check_public_url, check_url_shape, is_public_address

HOSTILE = {
    "ext::sh -c touch% /tmp/pwned": "ext::",
    "fd::17/foo": "fd::",
    "file:///etc/passwd": "Only https://",
    "ssh://git@example.org/repo.git": "Only https://",
    "git://example.org/repo.git": "Only https://",
    "git@example.org:repo.git": "Only https://",
    "http://example.org/repo.git": "Only https://",
    "--upload-pack=touch /tmp/pwned": "cannot start with '-'",
    "-u https://example.org/": "cannot start with '-'",
    "https://user:secret@example.org/repo.git": "user name or password",
    "https://token@example.org/repo.git": "user name or password",
    "https://example.org/$HOME/repo.git": "'$'",
    "https://example.org/${IFS}x": "'$'",
    "https://example.org/%HOMEPATH%/repo": "stray '%'",
    "https://example.org/`id`": "'`'",
    "https://example.org/repo.git\n--config=x": "control characters",
    "https:///repo.git": "no valid host",
    "https://exa_mple.org/repo.git": "no valid host",
    "https://example.org:99999/repo.git": "not a valid address",
    "": "Give the address",
    "https://example.org/" + "a" * 2000: "longer than",
}


@pytest.mark.parametrize("url", HOSTILE)
def test_a_hostile_url_is_refused_by_its_shape_with_a_reason(url):
    with pytest.raises(UnsafeURL) as refusal:
        check_url_shape(url)
    assert HOSTILE[url] in str(refusal.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/repo.git",
        "https://localhost/repo.git",
        "https://10.1.2.3/repo.git",
        "https://172.16.0.1/repo.git",
        "https://192.168.1.1/repo.git",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/repo.git",
        "https://0.0.0.0/repo.git",
        "https://[::1]/repo.git",
        "https://[::ffff:127.0.0.1]/repo.git",
        "https://[2002:7f00:1::1]/repo.git",
        "https://[64:ff9b::7f00:1]/repo.git",
        "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/repo.git",
        "https://[fd00::1]/repo.git",
        "https://[fe80::1]/repo.git",
        "https://224.0.0.1/repo.git",
        "https://2130706433/repo.git",
        "https://0x7f000001/repo.git",
        "https://0177.0.0.1/repo.git",
        "https://127.1/repo.git",
        "https://[::]/repo.git",
        "https://[fec0::1]/repo.git",  # site-local (deprecated, still routed inside some networks)
        "https://[fec0::a00:1]/repo.git",
    ],
)
async def test_a_host_that_resolves_to_an_internal_address_is_refused(url):
    with pytest.raises(UnsafeURL, match="internal address"):
        await check_public_url(url)


async def test_a_public_address_passes_and_an_admin_may_allow_private_ones():
    checked = await check_public_url("https://93.184.215.14:8443/team/repo.git")
    assert (checked.host, checked.port, checked.addresses) == ("93.184.215.14", 8443, ("93.184.215.14",))

    local = await check_public_url("http://127.0.0.1:9/repo.git", schemes=("https", "http"), allow_private=True)
    assert local.addresses == ("127.0.0.1",)


async def test_a_host_that_does_not_resolve_is_refused_clearly():
    with pytest.raises(UnsafeURL, match="could not be found"):
        await check_public_url("https://no-such-host.invalid/repo.git")


# Every IPv6 form that carries an IPv4 address. 93.184.215.14 stands for a public host.
EMBEDDING = [
    # IPv4-mapped (::ffff:0:0/96): judged by the IPv4 address.
    ("::ffff:93.184.215.14", True),
    ("::ffff:127.0.0.1", False),
    ("::ffff:10.1.2.3", False),
    ("::ffff:169.254.169.254", False),
    # NAT64, well-known prefix (64:ff9b::/96): judged by the IPv4 address in the last 32 bits.
    ("64:ff9b::93.184.215.14", True),
    ("64:ff9b::7f00:1", False),
    ("64:ff9b::a9fe:a9fe", False),
    ("64:ff9b::c0a8:101", False),
    ("64:ff9b::100.64.0.1", False),
    # NAT64, local-use prefix (64:ff9b:1::/48): where the IPv4 address sits is the operator's choice.
    ("64:ff9b:1::93.184.215.14", False),
    ("64:ff9b:1::7f00:1", False),
    ("64:ff9b:1:7f00:1::", False),
    # IPv4-compatible (::a.b.c.d, deprecated): refused whatever it carries.
    ("::93.184.215.14", False),
    ("::127.0.0.1", False),
    ("::10.0.0.1", False),
    # 6to4 (2002::/16): refused whatever it carries; 2002:7f00:1::1 carries 127.0.0.1.
    ("2002:7f00:1::1", False),
    ("2002:a00:1::1", False),
    ("2002:a9fe:a9fe::1", False),
    ("2002:5db8:d70e::1", False),
    # Teredo (2001::/32): server address in bits 32-63, client address obfuscated (inverted) at the end.
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # client 127.0.0.1
    ("2001:0:7f00:1:8000:63bf:a247:28f1", False),  # server 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # client 10.0.0.1
    ("2001:0:4136:e378:8000:63bf:a247:28f1", False),  # both public
    # Plain IPv6 for comparison.
    ("2606:4700:4700::1111", True),
    ("::1", False),
    ("::", False),
    ("fe80::5efe:a00:1", False),
]


@pytest.mark.parametrize(("address", "public"), EMBEDDING)
def test_an_ipv6_address_carrying_an_ipv4_one_is_public_only_when_both_are(address, public):
    assert is_public_address(address) is public


@pytest.mark.parametrize(("address", "public"), EMBEDDING)
async def test_a_url_naming_such_an_address_is_refused_unless_it_is_public(address, public):
    url = f"https://[{address}]/team/repo.git"
    if public:
        [resolved] = (await check_public_url(url)).addresses
        assert ipaddress.ip_address(resolved) == ipaddress.ip_address(address)
    else:
        with pytest.raises(UnsafeURL, match="internal address"):
            await check_public_url(url)
